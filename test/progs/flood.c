/* SPDX-License-Identifier: Apache-2.0 */
/* flood DIR N: creates and removes DIR/f0000000 .. f<N-1>, one after the other, as fast as it
 * can. Used by test/kernel/fanotify-flood.test.ts and bench/kernel.sh. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: flood DIR N\n");
		return 2;
	}
	long n = atol(argv[2]);
	char p[4096];
	for (long i = 0; i < n; i++) {
		snprintf(p, sizeof p, "%s/f%07ld", argv[1], i);
		int fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		if (fd < 0) {
			perror(p);
			return 1;
		}
		close(fd);
		unlink(p);
	}
	return 0;
}
