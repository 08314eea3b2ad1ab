/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `bulwark-helper probe`: what this kernel offers, as one JSON object on stdout. Changes nothing
 * on the host: securityfs is mounted, if needed, in a private mount namespace of this process;
 * the test BPF programs and fanotify groups are closed again at once.
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/mount.h>
#include <unistd.h>

#include "../include/bulwark_landlock.h"
#include "audit.h"
#include "names.h"

static void jstr(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\') printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
		else putchar(*s);
	}
	putchar('"');
}

static int silent(enum libbpf_print_level l, const char *f, va_list a)
{
	(void)l, (void)f, (void)a;
	return 0;
}

static void lsm_list(char *out, size_t cap)
{
	out[0] = 0;
	int fd = open("/sys/kernel/security/lsm", O_RDONLY | O_CLOEXEC);
	if (fd < 0 && unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0 &&
	    mount("securityfs", "/sys/kernel/security", "securityfs", 0, NULL) == 0)
		fd = open("/sys/kernel/security/lsm", O_RDONLY | O_CLOEXEC);
	if (fd < 0) return;
	ssize_t n = read(fd, out, cap - 1);
	close(fd);
	out[n > 0 ? n : 0] = 0;
}

/* Tries to load `r0 = 0; exit` as an LSM program on file_open; returns 0 or -errno. */
static int bpf_lsm_try(char *why, size_t cap)
{
	libbpf_set_print(silent);
	struct btf *btf = btf__load_vmlinux_btf();
	if (!btf || libbpf_get_error(btf)) {
		snprintf(why, cap, "no kernel BTF");
		return -ENOENT;
	}
	int id = btf__find_by_name_kind(btf, "bpf_lsm_file_open", BTF_KIND_FUNC);
	btf__free(btf);
	if (id <= 0) {
		snprintf(why, cap, "bpf_lsm_file_open not in kernel BTF (CONFIG_BPF_LSM off)");
		return -ENOENT;
	}
	struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	char log[256] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_LSM_MAC, .attach_btf_id = (unsigned)id,
		    .log_buf = log, .log_size = sizeof log, .log_level = 1);
	int fd = bpf_prog_load(BPF_PROG_TYPE_LSM, "bw_probe", "GPL", insns, 2, &o);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	int e = errno;
	snprintf(why, cap, "BPF_PROG_LOAD: %s%s%s", strerror(e), log[0] ? "; verifier: " : "", log);
	return -e;
}

static int fan_try(unsigned flags, int mark_fs)
{
	int fd = fanotify_init(flags | FAN_CLOEXEC, O_RDONLY);
	if (fd < 0) return -errno;
	int rc = 0;
	if (mark_fs && fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_CREATE | FAN_ONDIR, AT_FDCWD, "/") < 0)
		rc = -errno;
	close(fd);
	return rc;
}

static void cgroups(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[2048];
	int first2 = 1, first1 = 1;
	printf("\"cgroup\":{\"v2\":[");
	if (!f) {
		printf("],\"v1\":[]}");
		return;
	}
	char v1[4096] = "";
	while (fgets(line, sizeof line, f)) {
		char mnt[512], fstype[64], super[512];
		char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*d %*d %*s %*s %511s", mnt) != 1) continue;
		if (sscanf(sep + 3, "%63s %*s %511s", fstype, super) < 1) continue;
		if (!strcmp(fstype, "cgroup2")) {
			printf("%s", first2 ? "" : ",");
			jstr(mnt);
			first2 = 0;
		} else if (!strcmp(fstype, "cgroup")) {
			size_t l = strlen(v1);
			snprintf(v1 + l, sizeof v1 - l, "%s\"%s\"", first1 ? "" : ",", mnt);
			first1 = 0;
		}
	}
	fclose(f);
	printf("],\"v1\":[%s]}", v1);
}

int bw_probe(void)
{
	char lsm[512], why[512] = "";
	lsm_list(lsm, sizeof lsm);
	int abi = bw_landlock_abi();
	int bpf = bpf_lsm_try(why, sizeof why);
	uint32_t enabled = 0, apid = 0, blim = 0;
	uint64_t lost = 0;
	int arc = bw_audit_get(&enabled, &apid, &lost, &blim);
	printf("{\"lsm\":");
	jstr(lsm);
	printf(",\"landlock\":{\"abi\":%d},\"bpfLsm\":{\"loads\":%s,\"errno\":%d,\"detail\":", abi, bpf == 0 ? "true" : "false", -bpf);
	jstr(why);
	printf("},\"btf\":%s", access("/sys/kernel/btf/vmlinux", R_OK) == 0 ? "true" : "false");
	if (arc == 0)
		printf(",\"audit\":{\"available\":true,\"enabled\":%u,\"daemonPid\":%u,\"lost\":%llu,\"backlogLimit\":%u}",
		       enabled, apid, (unsigned long long)lost, blim);
	else
		printf(",\"audit\":{\"available\":false,\"errno\":%d}", -arc);
	unsigned base = FAN_CLASS_NOTIF;
	printf(",\"fanotify\":{\"fid\":%s,\"dfidName\":%s,\"pidfd\":%s,\"filesystemMark\":%s,\"rename\":%s,\"permission\":%s}",
	       fan_try(base | FAN_REPORT_FID, 0) == 0 ? "true" : "false",
	       fan_try(base | FAN_REPORT_DFID_NAME | FAN_REPORT_FID, 0) == 0 ? "true" : "false",
	       fan_try(base | FAN_REPORT_PIDFD | FAN_REPORT_FID, 0) == 0 ? "true" : "false",
	       fan_try(base | FAN_REPORT_DFID_NAME | FAN_REPORT_FID, 1) == 0 ? "true" : "false",
	       fan_try(base | FAN_REPORT_DFID_NAME | FAN_REPORT_FID | FAN_REPORT_TARGET_FID, 0) == 0 ? "true" : "false",
	       fan_try(FAN_CLASS_CONTENT, 0) == 0 ? "true" : "false");
	int nfd = bw_names_open();
	printf(",\"rawTracepoint\":%s,", nfd >= 0 ? "true" : "false");
	bw_names_close();
	cgroups();
	printf("}\n");
	return 0;
}
