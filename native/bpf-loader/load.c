// SPDX-License-Identifier: Apache-2.0
/* probe, load, release, stats: the lifecycle of the pinned enforcer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/btf.h>
#include "loader.h"
#include "bulwark_lsm.skel.h"

static const char *MAPS[] = { "bw_rules_map", "bw_src_map", "bw_cgroup_map", "bw_set_map",
			      "bw_pattern_map", "bw_state_map", "bw_counter_map", "bw_events_rb" };
#define NMAPS (sizeof(MAPS) / sizeof(MAPS[0]))

static int quiet_print(enum libbpf_print_level lvl, const char *fmt, va_list ap)
{
	if (lvl == LIBBPF_WARN && getenv("BULWARK_BPF_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	if (lvl == LIBBPF_DEBUG)
		return 0;
	return getenv("BULWARK_BPF_DEBUG") ? vfprintf(stderr, fmt, ap) : 0;
}

uint32_t bw_kdev(uint64_t st_dev)
{
	return (major(st_dev) << 20) | minor(st_dev);
}

uint64_t bw_name_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (int i = 0; i < BW_NAME_MAX && s[i]; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h ? h : 1;
}

int bw_map_fd(const char *name)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", bw_pin_dir, name);
	return bpf_obj_get(p);
}

int bw_cmd_probe(void)
{
	libbpf_set_print(quiet_print);
	struct bulwark_lsm *skel = bulwark_lsm__open();
	if (!skel) {
		printf("{\"bpfLsm\":false,\"reason\":\"cannot open the BPF object: %s\"}\n", strerror(errno));
		return BW_EXIT_UNAVAILABLE;
	}
	struct bpf_program *p;
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, p == skel->progs.bw_probe);
	int err = bulwark_lsm__load(skel);
	if (err) {
		printf("{\"bpfLsm\":false,\"stage\":\"load\",\"errno\":%d,\"reason\":\"%s\"}\n", -err,
		       strerror(-err));
		bulwark_lsm__destroy(skel);
		return BW_EXIT_UNAVAILABLE;
	}
	struct bpf_link *l = bpf_program__attach_lsm(skel->progs.bw_probe);
	if (!l) {
		int e = errno;
		printf("{\"bpfLsm\":false,\"stage\":\"attach\",\"errno\":%d,\"reason\":\"%s%s\"}\n", e,
		       strerror(e), e == EPERM || e == EINVAL ? " (is bpf in the lsm= list?)" : "");
		bulwark_lsm__destroy(skel);
		return BW_EXIT_UNAVAILABLE;
	}
	bpf_link__destroy(l);
	bulwark_lsm__destroy(skel);
	printf("{\"bpfLsm\":true}\n");
	return 0;
}

static int pinned(void)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/bw_state_map", bw_pin_dir);
	return access(p, F_OK) == 0;
}

/* Number of arguments of an LSM hook in the running kernel (BTF of bpf_lsm_<hook>), or -1. */
static int hook_nargs(const char *hook)
{
	struct btf *btf = btf__load_vmlinux_btf();
	if (!btf)
		return -1;
	char name[128];
	snprintf(name, sizeof(name), "bpf_lsm_%s", hook);
	int n = -1;
	int id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	if (id > 0) {
		const struct btf_type *fn = btf__type_by_id(btf, id);
		const struct btf_type *proto = btf__type_by_id(btf, fn->type);
		if (proto)
			n = btf_vlen(proto);
	}
	btf__free(btf);
	return n;
}

int bw_cmd_load(int replace)
{
	if (pinned()) {
		if (!replace) {
			fprintf(stderr, "bulwark-bpf: already loaded (pins under %s)\n", bw_pin_dir);
			return 0;
		}
		bw_cmd_release();
	}
	libbpf_set_print(quiet_print);
	struct bulwark_lsm *skel = bulwark_lsm__open();
	if (!skel) {
		fprintf(stderr, "bulwark-bpf: cannot open the BPF object: %s\n", strerror(errno));
		return BW_EXIT_UNAVAILABLE;
	}
	bpf_program__set_autoload(skel->progs.bw_probe, false);
	int setattr = hook_nargs("inode_setattr");
	if (setattr == 2 || setattr == 3)
		skel->rodata->bw_setattr_nargs = setattr;
	else
		fprintf(stderr, "bulwark-bpf: inode_setattr has %d arguments here; utimes keeps the 6.1 layout\n",
			setattr);
	int err = bulwark_lsm__load(skel);
	if (err) {
		fprintf(stderr, "bulwark-bpf: load failed: %s (BULWARK_BPF_DEBUG=1 shows the verifier log)\n",
			strerror(-err));
		bulwark_lsm__destroy(skel);
		return BW_EXIT_UNAVAILABLE;
	}
	if (mkdir(bw_pin_dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "bulwark-bpf: mkdir %s: %s (is bpffs mounted on /sys/fs/bpf?)\n", bw_pin_dir,
			strerror(errno));
		bulwark_lsm__destroy(skel);
		return BW_EXIT_IO;
	}
	char p[512];
	for (size_t i = 0; i < NMAPS; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(skel->obj, MAPS[i]);
		snprintf(p, sizeof(p), "%s/%s", bw_pin_dir, MAPS[i]);
		if (!m || bpf_map__pin(m, p)) {
			fprintf(stderr, "bulwark-bpf: pin %s: %s\n", p, strerror(errno));
			goto fail;
		}
	}
	int n = 0;
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, skel->obj)
	{
		if (prog == skel->progs.bw_probe)
			continue;
		struct bpf_link *l = bpf_program__attach_lsm(prog);
		if (!l) {
			fprintf(stderr, "bulwark-bpf: attach %s: %s\n", bpf_program__name(prog),
				strerror(errno));
			goto fail;
		}
		snprintf(p, sizeof(p), "%s/link_%s", bw_pin_dir, bpf_program__name(prog));
		if (bpf_link__pin(l, p)) {
			fprintf(stderr, "bulwark-bpf: pin %s: %s\n", p, strerror(errno));
			goto fail;
		}
		n++;
	}
	fprintf(stderr, "bulwark-bpf: loaded %d hooks, pinned under %s\n", n, bw_pin_dir);
	/* the links stay attached through their pins when this process exits */
	bulwark_lsm__destroy(skel);
	return 0;
fail:
	bulwark_lsm__destroy(skel);
	bw_cmd_release();
	return BW_EXIT_UNAVAILABLE;
}

int bw_cmd_release(void)
{
	char p[600];
	/* maps, then the link of every hook */
	int removed = 0;
	for (size_t i = 0; i < NMAPS; i++) {
		snprintf(p, sizeof(p), "%s/%s", bw_pin_dir, MAPS[i]);
		removed += unlink(p) == 0;
	}
	static const char *PROGS[] = { "bw_file_open",     "bw_path_mknod",     "bw_path_mkdir",
				       "bw_path_rmdir",    "bw_path_unlink",    "bw_path_symlink",
				       "bw_path_link",     "bw_path_rename",    "bw_path_truncate",
				       "bw_path_chmod",    "bw_path_chown",     "bw_inode_setattr",
				       "bw_inode_setxattr", "bw_inode_removexattr" };
	for (size_t i = 0; i < sizeof(PROGS) / sizeof(PROGS[0]); i++) {
		snprintf(p, sizeof(p), "%s/link_%s", bw_pin_dir, PROGS[i]);
		removed += unlink(p) == 0;
	}
	rmdir(bw_pin_dir);
	fprintf(stderr, "bulwark-bpf: released (%d pins removed)\n", removed);
	return 0;
}

int bw_cmd_stats(void)
{
	int fd = bw_map_fd("bw_counter_map");
	if (fd < 0) {
		fprintf(stderr, "bulwark-bpf: not loaded (%s/bw_counter_map: %s)\n", bw_pin_dir,
			strerror(errno));
		return BW_EXIT_NOT_LOADED;
	}
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals = calloc(ncpu, sizeof(uint64_t));
	uint64_t tot[BW_C_MAX] = { 0 };
	for (uint32_t k = 0; k < BW_C_MAX; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			tot[k] += vals[c];
	}
	free(vals);
	printf("{\"kind\":\"stats\",\"decisions\":%llu,\"denied\":%llu,\"audited\":%llu,\"lost\":%llu,"
	       "\"truncatedWalks\":%llu}\n",
	       (unsigned long long)tot[BW_C_DECISIONS], (unsigned long long)tot[BW_C_DENIED],
	       (unsigned long long)tot[BW_C_AUDITED], (unsigned long long)tot[BW_C_LOST],
	       (unsigned long long)tot[BW_C_TRUNCATED]);
	return 0;
}
