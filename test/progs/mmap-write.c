/* Changes the first byte of FILE through a shared mmap: no write(2), so the kernel reports no
 * FAN_MODIFY, only FAN_CLOSE_WRITE. Usage: mmap-write FILE. Exit 0 on success. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2) return 2;
	int fd = open(argv[1], O_RDWR);
	if (fd < 0) return perror(argv[1]), 1;
	char *p = mmap(NULL, 1, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) return perror("mmap"), 1;
	p[0] = p[0] == 'X' ? 'Y' : 'X';
	if (msync(p, 1, MS_SYNC) < 0) return perror("msync"), 1;
	munmap(p, 1);
	return close(fd) < 0;
}
