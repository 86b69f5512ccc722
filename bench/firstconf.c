/*
 * firstconf.c - the smallest "Slurm client" for bench row 5: it asks for
 * SLURM_CONF once, as libslurm does first thing, and reports when.
 *
 * Prints one line, written whole: "MAIN_NS CONF_NS SLURM_CONF" where both
 * times are CLOCK_MONOTONIC (comparable with brun's release time): MAIN_NS
 * on entering main, CONF_NS once getenv returned.  SLURM_CONF is "-" when
 * unset.  Exit 0 when it is set to a readable file, else 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long long _now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(void)
{
	long long t_main = _now_ns(), t_conf;
	const char *conf = getenv("SLURM_CONF");
	char line[4200];
	int n;

	t_conf = _now_ns();
	n = snprintf(line, sizeof(line), "%lld %lld %s\n", t_main, t_conf, conf ? conf : "-");
	if (n < 0 || (size_t)n >= sizeof(line))
		return 1;
	if (write(STDOUT_FILENO, line, (size_t)n) != n)
		return 1;
	return conf && access(conf, R_OK) == 0 ? 0 : 1;
}
