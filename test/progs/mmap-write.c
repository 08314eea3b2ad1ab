/* Changes the first byte of FILE through a shared mmap: no write(2), so the kernel reports no
 * FAN_MODIFY, only FAN_CLOSE_WRITE. Then stays alive LINGER_MS (default 0) so that a listener can
 * still attribute the event to it. Usage: mmap-write FILE [LINGER_MS]. Exit 0 on success. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2 && argc != 3) return 2;
	int fd = open(argv[1], O_RDWR);
	if (fd < 0) return perror(argv[1]), 1;
	char *p = mmap(NULL, 1, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) return perror("mmap"), 1;
	p[0] = p[0] == 'X' ? 'Y' : 'X';
	if (msync(p, 1, MS_SYNC) < 0) return perror("msync"), 1;
	munmap(p, 1);
	if (close(fd) < 0) return 1;
	if (argc == 3) usleep((useconds_t)atoi(argv[2]) * 1000);
	return 0;
}
