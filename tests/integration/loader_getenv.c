/*
 * loader_getenv.c - a probe for test_loader.sh: a program that asks for
 * SLURM_CONF through getenv(3) the way libslurm does, so the LD_PRELOAD
 * loader acts on it (printenv and python read environ without getenv).
 *
 *   loader_getenv                 print getenv("SLURM_CONF") (or "(unset)");
 *                                 exit 0 when set, 1 when not
 *   loader_getenv threads N       N threads released together by a barrier
 *                                 each call getenv("SLURM_CONF"); exit 0 when
 *                                 all got the same non-NULL value
 *   loader_getenv fork N [refresh]
 *                                 the same N threads, then a fork while the
 *                                 loader's fetch is under way (the process
 *                                 holds the cache's lock file open, waiting
 *                                 for it); once the threads have their answer
 *                                 the child asks too (with "refresh", under
 *                                 STRAW_TTL=0, so it must take the lock) and
 *                                 prints how long that took; exit 0 when the
 *                                 child and every thread got the value
 *
 * A watchdog turns a deadlock into exit 3 with a message.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WATCHDOG_S 60
#define MAX_THREADS 256

static pthread_barrier_t _go;
static char *_got[MAX_THREADS];
static volatile int _returned;

static void _watchdog(int sig)
{
	static const char msg[] = "loader_getenv: watchdog: still waiting after "
				  "60 s (deadlock?)\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

static void _arm(void)
{
	signal(SIGALRM, _watchdog);
	alarm(WATCHDOG_S);
}

static void *_ask(void *arg)
{
	long i = (long)arg;

	pthread_barrier_wait(&_go);
	_got[i] = getenv("SLURM_CONF");
	__atomic_add_fetch(&_returned, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* Does this process hold a file called "lock" open (the cache's lock)? */
static int _holds_lock_file(void)
{
	char link[PATH_MAX], target[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");
	int found = 0;

	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		n = (ssize_t)strlen(target);
		found = n >= 5 && !strcmp(target + n - 5, "/lock");
	}
	closedir(d);
	return found;
}

static void _sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static long long _now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The forked child: wait for the parent's go, then ask once. */
static void _child(int go, int refresh)
{
	const char *v;
	long long t0;
	char c;

	_arm(); /* alarms are not inherited */
	while (read(go, &c, 1) < 0 && errno == EINTR)
		;
	if (refresh)
		setenv("STRAW_TTL", "0", 1);
	t0 = _now_ms();
	v = getenv("SLURM_CONF");
	printf("child: %s in %lld ms\n", v ? v : "(unset)", _now_ms() - t0);
	fflush(stdout);
	_exit(v ? 0 : 1);
}

static int _threads(long n, int do_fork, int refresh)
{
	pthread_t t[MAX_THREADS];
	pid_t child = -1;
	int go[2] = { -1, -1 };
	int bad = 0;

	if (n < 1 || n > MAX_THREADS) {
		fprintf(stderr, "loader_getenv: 1..%d threads\n", MAX_THREADS);
		return 2;
	}
	_arm();
	pthread_barrier_init(&_go, NULL, (unsigned)n);
	for (long i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, _ask, (void *)i) != 0) {
			fprintf(stderr, "loader_getenv: pthread_create failed\n");
			_exit(2);
		}
	if (do_fork) {
		int waited = 0;

		/* The fetch is under way once the loader holds the lock file open. */
		while (!_holds_lock_file()) {
			if (__atomic_load_n(&_returned, __ATOMIC_SEQ_CST) || waited > 20000) {
				printf("fork: no fetch in flight to fork during (returned=%d)\n",
				       __atomic_load_n(&_returned, __ATOMIC_SEQ_CST));
				return 1;
			}
			_sleep_ms(5);
			waited += 5;
		}
		printf("fork: during the fetch (%d of %ld threads waiting)\n",
		       (int)n - __atomic_load_n(&_returned, __ATOMIC_SEQ_CST), n);
		fflush(stdout);
		if (pipe(go) < 0) {
			perror("loader_getenv: pipe");
			return 2;
		}
		child = fork();
		if (child < 0) {
			perror("loader_getenv: fork");
			return 2;
		}
		if (child == 0) {
			close(go[1]);
			_child(go[0], refresh);
		}
		close(go[0]);
	}
	for (long i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	for (long i = 0; i < n; i++)
		if (!_got[i] || strcmp(_got[i], _got[0]) != 0)
			bad++;
	printf("threads: %ld returned, %d without the common value, value %s\n", n, bad,
	       _got[0] ? _got[0] : "(unset)");
	fflush(stdout);
	if (child > 0) {
		int st = 0;

		close(go[1]); /* the child's go */
		while (waitpid(child, &st, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			printf("child: failed (status %d)\n", st);
			bad++;
		}
	}
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *v;

	if (argc == 3 && !strcmp(argv[1], "threads"))
		return _threads(strtol(argv[2], NULL, 10), 0, 0);
	if ((argc == 3 || (argc == 4 && !strcmp(argv[3], "refresh"))) &&
	    !strcmp(argv[1], "fork"))
		return _threads(strtol(argv[2], NULL, 10), 1, argc == 4);
	if (argc != 1) {
		fprintf(stderr, "usage: loader_getenv [threads N | fork N [refresh]]\n");
		return 2;
	}
	v = getenv("SLURM_CONF");
	printf("%s\n", v ? v : "(unset)");
	return v ? 0 : 1;
}
