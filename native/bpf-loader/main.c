// SPDX-License-Identifier: Apache-2.0
/* bulwark-bpf command line. Usage is printed by `bulwark-bpf --help`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "loader.h"

const char *bw_pin_dir = BW_PIN_DIR_DEFAULT;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bulwark-bpf [--pin-dir DIR] COMMAND\n"
		"  probe              load and attach a no-op lsm/file_open program, then detach;\n"
		"                     exit 0 when BPF-LSM works here, 69 with the reason otherwise\n"
		"  load [--replace]   load the enforcer, attach every hook, pin links and maps under\n"
		"                     the pin dir (default " BW_PIN_DIR_DEFAULT "); enforcement outlives\n"
		"                     this process. Already loaded: nothing to do (exit 0)\n"
		"  apply PLAN         fill the inactive generation from a plan (src/sensor/bpf-plan.ts,\n"
		"                     encodeBpfPlan) and switch to it atomically\n"
		"  watch [--out FILE] [--timeout-ms N]\n"
		"                     print ring-buffer events as JSON lines until SIGTERM/SIGINT or the\n"
		"                     timeout; {\"kind\":\"lost\"} lines count events the kernel could\n"
		"                     not write (once, across readers); a stats line on stdout at the end\n"
		"  stats              print the counters as one JSON line\n"
		"  release            remove the pins: the hooks detach, enforcement stops\n");
}

int main(int argc, char **argv)
{
	int i = 1;
	if (i + 1 < argc && !strcmp(argv[i], "--pin-dir")) {
		bw_pin_dir = argv[i + 1];
		i += 2;
	}
	if (i >= argc) {
		usage(stderr);
		return BW_EXIT_USAGE;
	}
	const char *cmd = argv[i++];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "probe"))
		return bw_cmd_probe();
	if (!strcmp(cmd, "load"))
		return bw_cmd_load(i < argc && !strcmp(argv[i], "--replace"));
	if (!strcmp(cmd, "release"))
		return bw_cmd_release();
	if (!strcmp(cmd, "stats"))
		return bw_cmd_stats();
	if (!strcmp(cmd, "apply")) {
		if (i >= argc) {
			fprintf(stderr, "bulwark-bpf apply: missing PLAN file\n");
			return BW_EXIT_USAGE;
		}
		return bw_cmd_apply(argv[i]);
	}
	if (!strcmp(cmd, "watch")) {
		const char *out = NULL;
		int timeout = -1;
		for (; i < argc; i++) {
			if (!strcmp(argv[i], "--out") && i + 1 < argc)
				out = argv[++i];
			else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc)
				timeout = atoi(argv[++i]);
			else {
				fprintf(stderr, "bulwark-bpf watch: unknown argument %s\n", argv[i]);
				return BW_EXIT_USAGE;
			}
		}
		return bw_cmd_watch(out, timeout);
	}
	fprintf(stderr, "bulwark-bpf: unknown command '%s'\n", cmd);
	usage(stderr);
	return BW_EXIT_USAGE;
}
