// SPDX-License-Identifier: Apache-2.0
/* Extra keys for a dir rule that the parent walk alone would miss: the roots of filesystems
 * mounted below the rule's directory, and hard links (second names elsewhere) of files below it.
 * Also the dev -> mount point map used to print event paths. */
#define _GNU_SOURCE /* nftw */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "loader.h"

long bw_naliases, bw_nhardlinks;

struct mnt {
	char *point;
	uint32_t kdev;
	int root_is_slash;
};
static struct mnt *mounts;
static int nmounts;

static void unescape_octal(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] && p[3]) {
			*o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else
			*o++ = *p;
	}
	*o = 0;
}

static void load_mounts(void)
{
	if (mounts)
		return;
	FILE *f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return;
	char line[8192];
	int cap = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		char root[4096], point[4096];
		if (sscanf(line, "%*d %*d %u:%u %4095s %4095s", &maj, &min, root, point) != 4)
			continue;
		unescape_octal(point);
		if (nmounts == cap) {
			cap = cap ? cap * 2 : 64;
			mounts = realloc(mounts, cap * sizeof(*mounts));
		}
		mounts[nmounts].point = strdup(point);
		mounts[nmounts].kdev = (maj << 20) | min;
		mounts[nmounts].root_is_slash = !strcmp(root, "/");
		nmounts++;
	}
	fclose(f);
}

const char *bw_mount_of(uint32_t kdev)
{
	load_mounts();
	const char *best = "";
	for (int i = 0; i < nmounts; i++)
		if (mounts[i].kdev == kdev && mounts[i].root_is_slash)
			best = mounts[i].point; /* the last (topmost) mount of that filesystem */
	return best;
}

/* Mount points strictly below dir: the walk stops at a filesystem root, so a dir rule gets an alias
 * on the root of each filesystem mounted below it, with the depth as level bias. */
int bw_add_mount_aliases(uint32_t set, const char *dir, struct bw_entry *e)
{
	load_mounts();
	size_t dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	for (int i = 0; i < nmounts; i++) {
		const char *m = mounts[i].point;
		if (dl == 1) {
			if (!strcmp(m, "/"))
				continue;
		} else if (strncmp(m, dir, dl) || m[dl] != '/' || !m[dl + 1])
			continue;
		int depth = 0;
		for (const char *p = m + (dl == 1 ? 0 : dl); *p; p++)
			if (*p == '/' && p[1] && p[1] != '/')
				depth++;
		struct stat st;
		if (stat(m, &st))
			continue;
		struct bw_key k = { .set = set, .dev = bw_kdev(st.st_dev), .ino = st.st_ino };
		struct bw_entry a = *e;
		a.level_bias = depth > 127 ? 127 : depth;
		if (bw_add_entry(&k, &a, m))
			return -1;
		bw_naliases++;
	}
	return 0;
}

/* Hard links: the parent walk from a second name of a file never passes the protected directory,
 * so files below a dir rule that have more than one link get the rule on their own inode too,
 * with their depth below the directory as level bias (KubeArmor issue #988). Links made later
 * from a protected file are decided at link time (the source end) and keyed at the next apply. */
static uint32_t hl_set;
static struct bw_entry hl_entry;
static int hl_rc;
static long hl_seen;
#define HL_MAX_VISIT 500000

static int hl_visit(const char *fpath, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)type;
	if (++hl_seen > HL_MAX_VISIT)
		return 1;
	int depth = ftw->level;
	if (!(hl_entry.flags & BW_F_RECURSIVE) && depth > 1)
		return 0;
	if (depth == 0 || !S_ISREG(sb->st_mode) || sb->st_nlink < 2)
		return 0;
	struct bw_key k = { .set = hl_set, .dev = bw_kdev(sb->st_dev), .ino = sb->st_ino };
	struct bw_entry a = hl_entry;
	a.level_bias = depth > 127 ? 127 : depth;
	if (bw_add_entry(&k, &a, fpath)) {
		hl_rc = -1;
		return 1;
	}
	bw_nhardlinks++;
	return 0;
}

int bw_add_hardlinks(uint32_t set, const char *dir, struct bw_entry *e)
{
	hl_set = set;
	hl_entry = *e;
	hl_rc = 0;
	hl_seen = 0;
	nftw(dir, hl_visit, 32, FTW_PHYS | FTW_MOUNT);
	if (hl_seen > HL_MAX_VISIT)
		fprintf(stderr, "bulwark-bpf apply: hard-link scan of %s stopped after %d entries\n", dir,
			HL_MAX_VISIT);
	return hl_rc;
}

