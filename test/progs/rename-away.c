/* Moves FILE into a new directory DIR, then deletes both, in microseconds: the directory is gone
 * before a change listener reads the events. Usage: rename-away FILE DIR. Exit 0 on success. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3) return 2;
	char to[4096];
	if (snprintf(to, sizeof to, "%s/moved", argv[2]) >= (int)sizeof to) return 2;
	if (mkdir(argv[2], 0700) < 0) return perror("mkdir"), 1;
	if (rename(argv[1], to) < 0) return perror("rename"), 1;
	if (unlink(to) < 0) return perror("unlink"), 1;
	if (rmdir(argv[2]) < 0) return perror("rmdir"), 1;
	return 0;
}
