/* SPDX-License-Identifier: Apache-2.0 */
/* smallfiles DIR N: the file-heavy workload of bench/kernel.ts. Creates N files of 512 bytes in
 * 100 subdirectories, reads each back, then unlinks them all. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: smallfiles DIR N\n");
		return 2;
	}
	long n = atol(argv[2]);
	char p[4096], buf[512];
	memset(buf, 'x', sizeof buf);
	for (int d = 0; d < 100; d++) {
		snprintf(p, sizeof p, "%s/d%02d", argv[1], d);
		if (mkdir(p, 0755) < 0) { perror(p); return 1; }
	}
	for (long i = 0; i < n; i++) {
		snprintf(p, sizeof p, "%s/d%02ld/f%07ld", argv[1], i % 100, i);
		int fd = open(p, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, buf, sizeof buf) != sizeof buf) { perror(p); return 1; }
		close(fd);
	}
	for (long i = 0; i < n; i++) {
		snprintf(p, sizeof p, "%s/d%02ld/f%07ld", argv[1], i % 100, i);
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, buf, sizeof buf) != sizeof buf) { perror(p); return 1; }
		close(fd);
	}
	for (long i = 0; i < n; i++) {
		snprintf(p, sizeof p, "%s/d%02ld/f%07ld", argv[1], i % 100, i);
		if (unlink(p) < 0) { perror(p); return 1; }
	}
	for (int d = 0; d < 100; d++) {
		snprintf(p, sizeof p, "%s/d%02d", argv[1], d);
		rmdir(p);
	}
	return 0;
}
