/*
 * brun.c - the benchmark's process runner: times child processes with
 * CLOCK_MONOTONIC, with no shell and no env(1) between it and them, so the
 * variants compared pay exactly the same launch cost.
 *
 *   brun seq [-n ROUNDS] [-w WARMUP] [-e ERRFILE] SPEC [::: SPEC]...
 *	Interleaved: each round runs every SPEC once, one after the other,
 *	starting with a different one each round (so no variant always
 *	follows the same other).  One line per measured run on stdout:
 *	"NAME ROUND WALL_NS MAXRSS_KIB STATUS CPU_NS" (CPU: user + system).
 *
 *   brun herd [-n PROCS] [-e ERRFILE] -o OUTFILE SPEC
 *	Forks PROCS children that block on one pipe, releases them all at
 *	once, and waits for them.  Each child's stdout is OUTFILE (append),
 *	so a program that prints one short line gets it written whole.
 *	Prints "release T0_NS" (CLOCK_MONOTONIC at the release) and then
 *	"child I WALL_NS STATUS" per child (release to exit, as reaped).
 *
 * SPEC: NAME [VAR=VALUE | -u VAR]... PROGRAM [ARG]...
 * The children get brun's own environment with those changes.  stdin is
 * /dev/null; stdout is /dev/null (seq) or OUTFILE (herd); stderr is
 * ERRFILE (append) or /dev/null.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct spec {
	const char *name;
	char **set;	/* VAR=VALUE, NULL-terminated */
	char **unset;	/* VAR, NULL-terminated */
	char **argv;	/* PROGRAM ARG..., NULL-terminated */
};

static void _die(const char *what)
{
	fprintf(stderr, "brun: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void _usage(void)
{
	fprintf(stderr,
		"usage: brun seq [-n ROUNDS] [-w WARMUP] [-e ERRFILE] SPEC [::: SPEC]...\n"
		"       brun herd [-n PROCS] [-e ERRFILE] -o OUTFILE SPEC\n"
		"SPEC:  NAME [VAR=VALUE | -u VAR]... PROGRAM [ARG]...\n");
	exit(2);
}

static long long _now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long _tv_ns(const struct timeval *tv)
{
	return (long long)tv->tv_sec * 1000000000LL + (long long)tv->tv_usec * 1000;
}

static int _is_name_char(char c, int first)
{
	return c == '_' || ((c | 32) >= 'a' && (c | 32) <= 'z') || (!first && c >= '0' && c <= '9');
}

/* VAR=VALUE with a shell-style variable name: an environment change. */
static int _is_assignment(const char *s)
{
	const char *eq = strchr(s, '=');

	if (!eq || eq == s)
		return 0;
	for (const char *p = s; p < eq; p++)
		if (!_is_name_char(*p, p == s))
			return 0;
	return 1;
}

/*
 * Parse argv[*i...] up to ":::" or the end into s.  argv is modified in
 * place (the ":::" becomes the argv terminator), nothing is copied.
 */
static void _parse_spec(int argc, char **argv, int *i, struct spec *s)
{
	int k = *i, nset = 0, nunset = 0;

	if (k >= argc || !strcmp(argv[k], ":::"))
		_usage();
	s->name = argv[k++];
	s->set = calloc((size_t)argc, sizeof(char *));
	s->unset = calloc((size_t)argc, sizeof(char *));
	if (!s->set || !s->unset)
		_die("calloc");
	for (; k < argc; k++) {
		if (_is_assignment(argv[k])) {
			s->set[nset++] = argv[k];
		} else if (!strcmp(argv[k], "-u") && k + 1 < argc) {
			s->unset[nunset++] = argv[++k];
		} else {
			break;
		}
	}
	if (k >= argc || !strcmp(argv[k], ":::"))
		_usage();
	s->argv = &argv[k];
	while (k < argc && strcmp(argv[k], ":::"))
		k++;
	if (k < argc) {
		argv[k] = NULL;
		k++;
	}
	*i = k;
}

/* In the child: environment, stdio, exec.  Never returns. */
static void _child_exec(const struct spec *s, int out_fd, const char *errfile)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int err = errfile ? open(errfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : null;

	if (null < 0 || err < 0)
		_exit(126);
	for (char **u = s->unset; *u; u++)
		unsetenv(*u);
	for (char **a = s->set; *a; a++)
		if (putenv(*a) != 0)
			_exit(126);
	if (dup2(null, 0) < 0 || dup2(out_fd >= 0 ? out_fd : null, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	execvp(s->argv[0], s->argv);
	dprintf(2, "brun: %s: %s\n", s->argv[0], strerror(errno));
	_exit(127);
}

static int _status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

static int _seq(int rounds, int warmup, const char *errfile, struct spec *specs, int nspecs)
{
	for (int r = -warmup; r < rounds; r++) {
		for (int j = 0; j < nspecs; j++) {
			const struct spec *s = &specs[((r + warmup) + j) % nspecs];
			struct rusage ru;
			long long t0, t1;
			pid_t pid;
			int st;

			t0 = _now_ns();
			pid = fork();
			if (pid < 0)
				_die("fork");
			if (pid == 0)
				_child_exec(s, -1, errfile);
			while (wait4(pid, &st, 0, &ru) < 0)
				if (errno != EINTR)
					_die("wait4");
			t1 = _now_ns();
			if (r >= 0)
				printf("%s %d %lld %ld %d %lld\n", s->name, r, t1 - t0, ru.ru_maxrss,
				       _status(st), _tv_ns(&ru.ru_utime) + _tv_ns(&ru.ru_stime));
		}
	}
	return 0;
}

static int _herd(int procs, const char *errfile, const char *outfile, const struct spec *s)
{
	int gate[2], out;
	pid_t *pids = calloc((size_t)procs, sizeof(pid_t));
	long long t0;

	if (!pids)
		_die("calloc");
	out = open(outfile, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (out < 0)
		_die(outfile);
	if (pipe2(gate, O_CLOEXEC) < 0)
		_die("pipe");
	for (int i = 0; i < procs; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			_die("fork");
		if (pids[i] == 0) {
			char c;

			close(gate[1]);
			/* EOF on the gate is the starting shot */
			while (read(gate[0], &c, 1) < 0 && errno == EINTR)
				;
			_child_exec(s, out, errfile);
		}
	}
	close(gate[0]);
	/* Let every child reach its read() before the release. */
	usleep(200000);
	t0 = _now_ns();
	close(gate[1]);
	printf("release %lld\n", t0);
	for (int done = 0; done < procs; done++) {
		int st;
		pid_t p = wait(&st);
		long long t1 = _now_ns();

		if (p < 0) {
			if (errno == EINTR) {
				done--;
				continue;
			}
			_die("wait");
		}
		for (int i = 0; i < procs; i++)
			if (pids[i] == p)
				printf("child %d %lld %d\n", i, t1 - t0, _status(st));
	}
	free(pids);
	return 0;
}

int main(int argc, char **argv)
{
	const char *errfile = NULL, *outfile = NULL;
	int n = -1, warmup = 0, i, herd, nspecs = 0;
	struct spec *specs;

	if (argc < 2)
		_usage();
	if (!strcmp(argv[1], "seq"))
		herd = 0;
	else if (!strcmp(argv[1], "herd"))
		herd = 1;
	else
		_usage();
	for (i = 2; i < argc && argv[i][0] == '-'; i++) {
		if (i + 1 >= argc)
			_usage();
		if (!strcmp(argv[i], "-n"))
			n = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-w"))
			warmup = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-e"))
			errfile = argv[++i];
		else if (!strcmp(argv[i], "-o"))
			outfile = argv[++i];
		else
			_usage();
	}
	if (n < 0)
		n = herd ? 200 : 30;
	if (n < 1 || warmup < 0 || (herd && !outfile))
		_usage();
	specs = calloc((size_t)argc, sizeof(*specs));
	if (!specs)
		_die("calloc");
	while (i < argc)
		_parse_spec(argc, argv, &i, &specs[nspecs++]);
	if (nspecs == 0 || (herd && nspecs != 1))
		_usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	return herd ? _herd(n, errfile, outfile, &specs[0]) : _seq(n, warmup, errfile, specs, nspecs);
}
