// SPDX-License-Identifier: Apache-2.0
/* fileload: the file-heavy workload of the BPF-LSM benchmark (bench/bpf-lsm.ts). In DIR it creates
 * COUNT files and writes 4 KiB to each, reads each back, renames, chmods and unlinks them, and
 * prints the elapsed wall time in nanoseconds. Every step goes through the enforcer's hooks. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: fileload DIR COUNT\n");
		return 64;
	}
	const char *dir = argv[1];
	int n = atoi(argv[2]);
	static char buf[4096], a[4096], b[4096];
	memset(buf, 'x', sizeof(buf));
	mkdir(dir, 0777);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++) {
		snprintf(a, sizeof(a), "%s/f%d", dir, i);
		int fd = open(a, O_CREAT | O_WRONLY | O_TRUNC, 0644);
		if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
			perror(a);
			return 1;
		}
		close(fd);
	}
	for (int i = 0; i < n; i++) {
		snprintf(a, sizeof(a), "%s/f%d", dir, i);
		int fd = open(a, O_RDONLY);
		if (fd < 0 || read(fd, buf, sizeof(buf)) < 0) {
			perror(a);
			return 1;
		}
		close(fd);
		snprintf(b, sizeof(b), "%s/g%d", dir, i);
		if (rename(a, b) || chmod(b, 0600) || unlink(b)) {
			perror(b);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%lld\n", (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
	return 0;
}
