/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of recorder/go_binary: the Go fixtures under tests/fixtures/go/ and the example
 * examples/go-server/ are compiled here by Debian's Go 1.19 into a private temporary directory
 * (default build, -gcflags=all=-l, and -ldflags='-s -w'), then analysed. Probe sites are checked
 * against objdump's disassembly; parameter locations against the register ABI, worked out by
 * hand for known signatures. Without Go or objdump these tests skip, except under CI=true where
 * a skip is a failure. Every external command runs with a time limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gelf.h>
#include <libelf.h>

#include "go_binary.h"
#include "tt_error.h"
#include "tt_test.h"
#include "tt_util.h"

#define GO_TOOL "/usr/lib/go-1.19/bin/go"
#define GO_BUILD_TIMEOUT_S 300 /* a cold cache rebuilds net/http without cgo: tens of seconds */
#define OBJDUMP_TIMEOUT_S 60
#define CMD_OUTPUT_MAX (64u << 20)

/* ---- running commands with a deadline ---- */

/*
 * Run argv (envp NULL: inherit) in cwd (NULL: ours), capturing stdout and stderr into out.
 * The child leads its own process group so that a timeout ends it and whatever it started
 * (go build runs the compiler and linker). Returns the exit status, or -ETIMEDOUT, or -errno.
 */
static int run_cmd(char *const argv[], char *const envp[], const char *cwd, unsigned timeout_s,
		   struct tt_buf *out)
{
	int fds[2], status = 0, err = 0;
	uint64_t deadline_ns = tt_now_mono_ns() + (uint64_t)timeout_s * 1000000000ULL;
	pid_t pid;
	bool eof = false;

	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (pid == 0) {
		setpgid(0, 0);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		if (cwd && chdir(cwd))
			_exit(126);
		if (envp)
			execve(argv[0], argv, envp);
		else
			execvp(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);
	close(fds[1]);
	while (!eof) {
		uint64_t now = tt_now_mono_ns();
		struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
		char buf[65536];
		ssize_t n;

		if (now >= deadline_ns) {
			err = -ETIMEDOUT;
			break;
		}
		if (poll(&pfd, 1, (int)TT_MIN((deadline_ns - now) / 1000000 + 1, 1000)) <= 0)
			continue;
		n = read(fds[0], buf, sizeof(buf));
		if (n <= 0) {
			eof = true;
		} else if (out && out->len < CMD_OUTPUT_MAX) {
			tt_buf_append(out, buf, (size_t)n);
		}
	}
	close(fds[0]);
	/* Output ended: wait for the exit until the same deadline, then end the group. */
	while (!err) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (tt_now_mono_ns() >= deadline_ns)
			err = -ETIMEDOUT;
		else
			usleep(10000);
	}
	if (err) {
		kill(-pid, SIGKILL); /* our own child's process group, by id */
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			; /* SIGKILL cannot be ignored: this returns promptly */
	}
	if (out)
		tt_buf_append(out, "", 1); /* NUL-terminate */
	if (err)
		return err;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static bool in_ci(void)
{
	const char *ci = getenv("CI");

	return ci && !strcmp(ci, "true");
}

/* Skip the current test, or fail it under CI=true, where every prerequisite must be present. */
#define SKIP_OR_FAIL(...)                                                                  \
	do {                                                                               \
		char why_[512];                                                            \
		snprintf(why_, sizeof(why_), __VA_ARGS__);                                 \
		if (in_ci())                                                               \
			fail_msg("%s (CI=true: a skip is a failure)", why_);               \
		print_message("[  SKIP    ] %s\n", why_);                                  \
		skip();                                                                    \
	} while (0)

/* ---- building the fixtures ---- */

static char tmp_root[PATH_MAX];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	chmod(path, 0700); /* the Go module cache makes files read-only */
	return remove(path);
}

static void remove_tmp_root(void)
{
	if (tmp_root[0])
		nftw(tmp_root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *tmp_dir(void)
{
	if (!tmp_root[0]) {
		const char *t = getenv("TMPDIR");

		snprintf(tmp_root, sizeof(tmp_root), "%s/tt-go-test.XXXXXX", t && *t ? t : "/tmp");
		if (!mkdtemp(tmp_root)) {
			tmp_root[0] = 0;
			return NULL;
		}
		atexit(remove_tmp_root);
	}
	return tmp_root;
}

enum build_mode { BUILD_DEFAULT, BUILD_NOINLINE, BUILD_STRIPPED, BUILD_MODE_CNT };

static const char *const mode_names[BUILD_MODE_CNT] = {"default", "noinline", "stripped"};

struct built {
	char key[64];
	char path[PATH_MAX];
	int status; /* 0 built, 1 failed */
};

static struct built built_cache[16];
static size_t built_cnt;

/*
 * Build the Go main package pkg_dir (relative to the source tree) in mode, once per process, and
 * return the binary's path. Skips (or fails under CI) when Go or the source tree is missing;
 * fails when the build fails.
 */
static const char *go_build(const char *pkg_dir, enum build_mode mode)
{
	const char *src = getenv("TT_SOURCE_DIR");
	const char *root;
	char key[64], dir[PATH_MAX], out_path[PATH_MAX];
	char env_home[PATH_MAX + 8], env_cache[PATH_MAX + 16], env_gopath[PATH_MAX + 16];
	struct tt_buf out = {0};
	int rc;

	snprintf(key, sizeof(key), "%s:%s", pkg_dir, mode_names[mode]);
	for (size_t i = 0; i < built_cnt; i++) {
		if (strcmp(built_cache[i].key, key))
			continue;
		if (built_cache[i].status)
			fail_msg("go build of %s failed earlier", key);
		return built_cache[i].path;
	}
	if (access(GO_TOOL, X_OK))
		SKIP_OR_FAIL("Go is not installed (%s): apt-get install golang-1.19-go", GO_TOOL);
	if (!src || !*src)
		SKIP_OR_FAIL("TT_SOURCE_DIR is not set: run the unit tests through meson test");
	root = tmp_dir();
	assert_non_null(root);
	assert_true(built_cnt < TT_ARRAY_SIZE(built_cache));

	snprintf(dir, sizeof(dir), "%s/%s", src, pkg_dir);
	snprintf(out_path, sizeof(out_path), "%s/bin-%zu-%s", root, built_cnt, mode_names[mode]);
	snprintf(env_home, sizeof(env_home), "HOME=%s", root);
	snprintf(env_cache, sizeof(env_cache), "GOCACHE=%s/gocache", root);
	snprintf(env_gopath, sizeof(env_gopath), "GOPATH=%s/gopath", root);
	/* Private caches, no network, no cgo (no C toolchain in the loop), modules on. */
	char *envp[] = {
		"PATH=/usr/lib/go-1.19/bin:/usr/bin:/bin", env_home, env_cache, env_gopath,
		"GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local", "GO111MODULE=on",
		"CGO_ENABLED=0", "GOTELEMETRY=off", NULL,
	};
	char *argv_default[] = {GO_TOOL, "build", "-o", out_path, ".", NULL};
	char *argv_noinline[] = {GO_TOOL, "build", "-gcflags=all=-l", "-o", out_path, ".", NULL};
	char *argv_stripped[] = {GO_TOOL, "build", "-ldflags=-s -w", "-o", out_path, ".", NULL};
	char **argv = mode == BUILD_DEFAULT ? argv_default
		      : mode == BUILD_NOINLINE ? argv_noinline : argv_stripped;

	rc = run_cmd(argv, envp, dir, GO_BUILD_TIMEOUT_S, &out);
	struct built *b = &built_cache[built_cnt++];

	snprintf(b->key, sizeof(b->key), "%s", key);
	snprintf(b->path, sizeof(b->path), "%s", out_path);
	b->status = rc != 0;
	if (rc) {
		print_message("go build %s (%s) -> %d:\n%s\n", pkg_dir, mode_names[mode], rc,
			      out.data ? (char *)out.data : "");
		tt_buf_free(&out);
		fail_msg("go build of %s failed", key);
	}
	tt_buf_free(&out);
	return b->path;
}

static struct tt_go_binary *open_ok(const char *path)
{
	char errbuf[256];
	struct tt_go_binary *bin = tt_go_binary__open(path, errbuf, sizeof(errbuf));

	if (!bin)
		fail_msg("tt_go_binary__open(%s): %s: %s", path, tt_strerror(errno), errbuf);
	return bin;
}

static struct tt_go_func *func_ok(struct tt_go_binary *bin, const char *name)
{
	struct tt_go_func *fn = NULL;
	int err = tt_go_binary__func_info(bin, name, &fn);

	if (err)
		fail_msg("tt_go_binary__func_info(%s): %s", name, tt_strerror(err));
	return fn;
}

/* ---- objdump as the reference disassembler ---- */

struct ref_insn {
	uint64_t addr;
	char text[96];
};

/* Disassemble [start, stop) of path with objdump. Returns the count, or skips/fails. */
static size_t objdump_range(const char *path, uint64_t start, uint64_t stop, struct ref_insn **insns)
{
	char a_start[40], a_stop[40], *line, *save = NULL;
	struct tt_buf out = {0};
	size_t cnt = 0, cap = 0;
	int rc;

	snprintf(a_start, sizeof(a_start), "--start-address=%#llx", (unsigned long long)start);
	snprintf(a_stop, sizeof(a_stop), "--stop-address=%#llx", (unsigned long long)stop);
	char *argv[] = {"objdump", "-d", "--no-show-raw-insn", a_start, a_stop, (char *)path, NULL};

	rc = run_cmd(argv, NULL, NULL, OBJDUMP_TIMEOUT_S, &out);
	if (rc == 127) {
		tt_buf_free(&out);
		SKIP_OR_FAIL("objdump is not installed: apt-get install binutils");
	}
	assert_int_equal(rc, 0);
	*insns = NULL;
	for (line = strtok_r((char *)out.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *end, *tab;
		unsigned long long a = strtoull(line, &end, 16);

		/* instruction lines: "  4811e0:\tcmp    0x10(%r14),%rsp" */
		if (line[0] != ' ' || end == line || *end != ':' || !(tab = strchr(end, '\t')))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 256;
			*insns = realloc(*insns, cap * sizeof(**insns));
			assert_non_null(*insns);
		}
		(*insns)[cnt].addr = a;
		snprintf((*insns)[cnt].text, sizeof((*insns)[cnt].text), "%s", tab + 1);
		cnt++;
	}
	tt_buf_free(&out);
	return cnt;
}

static bool mnemonic_is(const char *text, const char *m)
{
	size_t n = strlen(m);

	return !strncmp(text, m, n) && (text[n] == ' ' || text[n] == '\0' || text[n] == 'q');
}

/*
 * Check fn's probe sites against objdump: the same RETs, and the entry probe right after the
 * jbe that follows the first `cmp 0x10(%r14),...` (or at the entry when there is none).
 */
static void check_sites_against_objdump(const char *path, const struct tt_go_func *fn)
{
	struct ref_insn *ins = NULL;
	size_t n = objdump_range(path, fn->entry_vaddr, fn->entry_vaddr + fn->size, &ins);
	size_t rets = 0;
	uint64_t want_probe = fn->entry_vaddr;

	assert_true(n > 0);
	assert_int_equal(ins[0].addr, fn->entry_vaddr);
	for (size_t i = 0; i < n; i++) {
		if (!mnemonic_is(ins[i].text, "ret"))
			continue;
		if (rets >= fn->ret_cnt || fn->ret_vaddrs[rets] != ins[i].addr)
			fail_msg("%s: objdump's ret #%zu at %#llx not reported", fn->name, rets,
				 (unsigned long long)ins[i].addr);
		rets++;
	}
	if (rets != fn->ret_cnt)
		fail_msg("%s: %zu RETs reported, objdump has %zu", fn->name, fn->ret_cnt, rets);
	assert_int_equal(fn->no_ret, rets == 0);
	for (size_t i = 0; i < n && i < 8; i++) {
		if (!strstr(ins[i].text, "0x10(%r14),%r"))
			continue;
		if (mnemonic_is(ins[i].text, "cmp") && i + 2 < n && mnemonic_is(ins[i + 1].text, "jbe"))
			want_probe = ins[i + 2].addr;
		break;
	}
	if (fn->probe_vaddr != want_probe)
		fail_msg("%s: entry probe at %#llx, objdump says %#llx", fn->name,
			 (unsigned long long)fn->probe_vaddr, (unsigned long long)want_probe);
	assert_int_equal(fn->has_prologue, want_probe != fn->entry_vaddr);
	/* offsets are vaddr - segment vaddr + segment offset: same displacement throughout */
	assert_int_equal(fn->probe_offset - fn->entry_offset, fn->probe_vaddr - fn->entry_vaddr);
	for (size_t i = 0; i < fn->ret_cnt; i++)
		assert_int_equal(fn->ret_offsets[i] - fn->entry_offset, fn->ret_vaddrs[i] - fn->entry_vaddr);
	free(ins);
}

/* ---- describing locations compactly, for table-driven checks ---- */

static const char *const reg_names[TT_REG_CNT] = {
	[TT_REG_RAX] = "rax", [TT_REG_RBX] = "rbx", [TT_REG_RCX] = "rcx", [TT_REG_RDX] = "rdx",
	[TT_REG_RSI] = "rsi", [TT_REG_RDI] = "rdi", [TT_REG_RBP] = "rbp", [TT_REG_RSP] = "rsp",
	[TT_REG_R8] = "r8", [TT_REG_R9] = "r9", [TT_REG_R10] = "r10", [TT_REG_R11] = "r11",
	[TT_REG_R12] = "r12", [TT_REG_R13] = "r13", [TT_REG_R14] = "r14", [TT_REG_R15] = "r15",
	[TT_REG_RIP] = "rip",
};

/*
 * "name type loc,loc": loc is a register ("rax"), a stack slot ("8(rsp)"), an X register that
 * BPF cannot read ("x0?"); a value without pieces is "composite@OFF" / "composite" or "?sig".
 */
static void describe(const struct tt_go_param *p, struct tt_buf *b)
{
	tt_buf_printf(b, "%s %s ", p->name, p->type_name);
	if (p->unavail == TT_GO_UNAVAIL_SIGNATURE) {
		tt_buf_printf(b, "?sig");
		return;
	}
	if (p->unavail == TT_GO_UNAVAIL_COMPOSITE) {
		if (p->on_stack)
			tt_buf_printf(b, "composite@%d", p->stack_off);
		else
			tt_buf_printf(b, "composite");
		return;
	}
	for (int i = 0; i < p->piece_cnt; i++) {
		const struct tt_go_piece *c = &p->pieces[i];

		if (i)
			tt_buf_printf(b, ",");
		if (c->loc == TT_LOC_REG)
			tt_buf_printf(b, "%s", reg_names[c->reg]);
		else if (c->loc == TT_LOC_MEM)
			tt_buf_printf(b, "%d(%s)", c->disp, reg_names[c->reg]);
		else if (c->unavail == TT_GO_UNAVAIL_FLOAT_REG)
			tt_buf_printf(b, "x%d?", c->xreg);
		else
			tt_buf_printf(b, "?");
	}
}

static char *describe_list(const struct tt_go_param *ps, size_t n)
{
	struct tt_buf b = {0};

	for (size_t i = 0; i < n; i++) {
		if (i)
			tt_buf_printf(&b, " | ");
		describe(&ps[i], &b);
	}
	tt_buf_append(&b, "", 1);
	return (char *)b.data;
}

struct sig_case {
	const char *func;
	const char *params;
	const char *results;
	bool sig_ok;
};

static void check_sig(struct tt_go_binary *bin, const struct sig_case *c)
{
	struct tt_go_func *fn = func_ok(bin, c->func);
	char *params = describe_list(fn->params, fn->param_cnt);
	char *results = describe_list(fn->results, fn->result_cnt);

	if (strcmp(params, c->params) || strcmp(results, c->results) || fn->sig_ok != c->sig_ok)
		fail_msg("%s:\n  params  %s\n  want    %s\n  results %s\n  want    %s\n  sig_ok %d want %d",
			 c->func, params, c->params, results, c->results, fn->sig_ok, c->sig_ok);
	assert_int_equal(fn->sig_source, TT_GO_SIG_DWARF);
	assert_true(fn->sig_checked);
	if (c->sig_ok)
		assert_int_equal(fn->arg_frame_sz, (uint32_t)fn->pcln_args_sz);
	free(params);
	free(results);
	tt_go_func__free(fn);
}

/* ---- tests that need no Go ---- */

TT_TEST(go_binary, test_commands_are_time_bounded)
{
	char *sleep_argv[] = {"sleep", "30", NULL};
	char *true_argv[] = {"true", NULL};
	uint64_t t0 = tt_now_mono_ns();

	assert_int_equal(run_cmd(sleep_argv, NULL, NULL, 1, NULL), -ETIMEDOUT);
	assert_true(tt_now_mono_ns() - t0 < 10000000000ULL);
	assert_int_equal(run_cmd(true_argv, NULL, NULL, 10, NULL), 0);
}

TT_TEST(go_binary, open_rejects_non_go_files)
{
	char errbuf[256], path[PATH_MAX];
	const char *src = getenv("TT_SOURCE_DIR");

	/* this test program: ELF, but not Go */
	assert_null(tt_go_binary__open("/proc/self/exe", errbuf, sizeof(errbuf)));
	assert_int_equal(errno, TT_E_NOT_GO);
	assert_non_null(strstr(errbuf, "not a Go binary"));
	assert_null(tt_go_binary__open("/nonexistent/go-binary", errbuf, sizeof(errbuf)));
	assert_int_equal(errno, ENOENT);
	assert_null(tt_go_binary__open("/nonexistent/go-binary", NULL, 0)); /* errbuf optional */
	if (!src || !*src)
		SKIP_OR_FAIL("TT_SOURCE_DIR is not set: run the unit tests through meson test");
	snprintf(path, sizeof(path), "%s/tests/fixtures/go/go.mod", src);
	assert_null(tt_go_binary__open(path, errbuf, sizeof(errbuf)));
	assert_int_equal(errno, TT_E_NOT_ELF);
	assert_string_equal(tt_strerror(TT_E_NOT_GO), "not a Go binary");
	assert_string_equal(tt_go_kind_str(TT_GO_KIND_SLICE), "slice");
}

/* ---- tests on real Go binaries ---- */

TT_TEST(go_binary, version_and_goid_offset)
{
	for (int mode = 0; mode < BUILD_MODE_CNT; mode++) {
		struct tt_go_binary *bin = open_ok(go_build("tests/fixtures/go/args", mode));
		enum tt_go_goid_source src = 0;
		uint32_t off = 0;

		assert_non_null(tt_go_binary__version(bin));
		assert_true(!strncmp(tt_go_binary__version(bin), "go1.19", 6));
		assert_int_equal(tt_go_binary__goid_offset(bin, &off, &src), 0);
		assert_int_equal(off, 152);
		/* -w drops DWARF: the offset then comes from the version table */
		assert_int_equal(src, mode == BUILD_STRIPPED ? TT_GO_GOID_TABLE : TT_GO_GOID_DWARF);
		assert_int_equal(tt_go_binary__has_dwarf(bin), mode != BUILD_STRIPPED);
		assert_int_equal(tt_go_binary__is_stripped(bin), mode == BUILD_STRIPPED);
		tt_go_binary__free(bin);
	}
}

struct collect_ctx {
	char names[4096];
	size_t cnt;
	int stop_after;
};

static int collect_cb(const struct tt_go_sym *sym, void *ctx)
{
	struct collect_ctx *c = ctx;
	size_t len = strlen(c->names);

	snprintf(c->names + len, sizeof(c->names) - len, "%s;", sym->name);
	assert_true(sym->size > 0);
	assert_true(sym->offset > 0 && sym->offset < sym->vaddr);
	c->cnt++;
	return c->stop_after && (int)c->cnt == c->stop_after ? 42 : 0;
}

TT_TEST(go_binary, symbols_from_symtab_and_pclntab)
{
	static const char *const want[] = {
		"main.Sig;", "main.Ints;", "main.Flags;", "main.Spill;", "main.Iface;",
		"main.Floats;", "main.Structs;", "main.Unnamed;", "main.Die;", "main.main;",
	};

	for (int mode = 0; mode < BUILD_MODE_CNT; mode++) {
		struct tt_go_binary *bin = open_ok(go_build("tests/fixtures/go/args", mode));
		struct collect_ctx c = {0};

		assert_int_equal(tt_go_binary__for_each_func(bin, "main.*", collect_cb, &c), 0);
		for (size_t i = 0; i < TT_ARRAY_SIZE(want); i++)
			if (!strstr(c.names, want[i]))
				fail_msg("%s build: %s missing from %s", mode_names[mode], want[i], c.names);
		/* the pclntab abbreviates generic instantiations; .symtab spells out the shape */
		assert_non_null(strstr(c.names, mode == BUILD_STRIPPED ? "main.Generic[...];"
								       : "main.Generic[go.shape.int_0];"));
		/* main.Small is inlined (no symbol) unless inlining is off */
		assert_int_equal(strstr(c.names, "main.Small;") != NULL, mode == BUILD_NOINLINE);

		/* a nonzero return stops the walk and is passed through */
		struct collect_ctx stop = {.stop_after = 2};

		assert_int_equal(tt_go_binary__for_each_func(bin, NULL, collect_cb, &stop), 42);
		assert_int_equal(stop.cnt, 2);
		tt_go_binary__free(bin);
	}
}

static int check_sites_cb(const struct tt_go_sym *sym, void *ctx)
{
	void **a = ctx;
	struct tt_go_binary *bin = a[0];
	const char *path = a[1];
	struct tt_go_func *fn = NULL;

	assert_int_equal(tt_go_binary__func_info_at(bin, sym->vaddr, &fn), 0);
	assert_int_equal(fn->entry_vaddr, sym->vaddr);
	assert_int_equal(fn->entry_offset, sym->offset);
	assert_int_equal(fn->undecodable_cnt, 0);
	check_sites_against_objdump(path, fn);
	tt_go_func__free(fn);
	(*(size_t *)a[2])++;
	return 0;
}

TT_TEST(go_binary, probe_sites_match_objdump)
{
	static const char *const pkgs[] = {
		"tests/fixtures/go/args", "tests/fixtures/go/recursive", "tests/fixtures/go/methods",
	};

	for (size_t p = 0; p < TT_ARRAY_SIZE(pkgs); p++) {
		for (int mode = 0; mode < BUILD_MODE_CNT; mode++) {
			const char *path = go_build(pkgs[p], mode);
			struct tt_go_binary *bin = open_ok(path);
			size_t cnt = 0;
			void *ctx[] = {bin, (void *)path, &cnt};

			assert_int_equal(tt_go_binary__for_each_func(bin, "main.*", check_sites_cb, ctx), 0);
			assert_true(cnt >= 4);
			/* a sample of the runtime too: assembly, wrappers, huge frames */
			assert_int_equal(tt_go_binary__for_each_func(bin, "runtime.[a-c]*", check_sites_cb,
								     ctx), 0);
			tt_go_binary__free(bin);
		}
	}
}

TT_TEST(go_binary, prologue_forms_and_missing_rets)
{
	const char *path = go_build("tests/fixtures/go/recursive", BUILD_DEFAULT);
	struct tt_go_binary *bin = open_ok(path);
	struct tt_go_func *fn;

	/* Fib: small frame (cmp %rsp), two returns (base case and sum) */
	fn = func_ok(bin, "main.Fib");
	assert_true(fn->has_prologue);
	assert_true(fn->probe_vaddr > fn->entry_vaddr);
	assert_int_equal(fn->ret_cnt, 2);
	tt_go_func__free(fn);
	/* Big: a 4 KiB frame, so the prologue computes the new SP in R12 first */
	fn = func_ok(bin, "main.Big");
	assert_true(fn->has_prologue);
	check_sites_against_objdump(path, fn);
	tt_go_func__free(fn);
	tt_go_binary__free(bin);

	bin = open_ok(go_build("tests/fixtures/go/args", BUILD_DEFAULT));
	/* Die ends in runtime.gopanic: no RET at all */
	fn = func_ok(bin, "main.Die");
	assert_true(fn->no_ret);
	assert_int_equal(fn->ret_cnt, 0);
	assert_true(fn->has_prologue);
	tt_go_func__free(fn);
	/* Flags: a leaf without a frame gets no stack check: probe at the entry */
	fn = func_ok(bin, "main.Flags");
	assert_false(fn->has_prologue);
	assert_int_equal(fn->probe_vaddr, fn->entry_vaddr);
	assert_int_equal(fn->probe_offset, fn->entry_offset);
	tt_go_func__free(fn);
	tt_go_binary__free(bin);
}

/* Hand-worked ABIInternal assignments for the fixtures' signatures. */
static const struct sig_case args_cases[] = {
	{"main.Sig",
	 "a int rax | s string rbx,rcx | b []uint8 rdi,rsi,r8 | x float64 x0? | y int8 r9",
	 "~r0 string rax,rbx | ~r1 int rcx", true},
	{"main.Ints",
	 "a int8 rax | b int16 rbx | c int32 rcx | d int64 rdi | e uint8 rsi | f uint16 r8 | "
	 "g uint32 r9 | h uint64 r10",
	 "~r0 int64 rax", true},
	{"main.Flags", "ok bool rax | p *int rbx | u uintptr rcx", "~r0 bool rax | ~r1 uintptr rbx", true},
	/* nine ints fill the registers: the string and the int8 go to the stack, in order */
	{"main.Spill",
	 "a int rax | b int rbx | c int rcx | d int rdi | e int rsi | f int r8 | g int r9 | "
	 "h int r10 | i int r11 | s string 8(rsp),16(rsp) | k int8 24(rsp)",
	 "~r0 int rax", true},
	{"main.Iface", "v interface {} rax,rbx | err error rcx,rdi | m map[string]int rsi",
	 "~r0 int rax | ~r1 error rbx,rcx", true},
	{"main.Floats", "a float32 x0? | b float64 x1? | n int rax | t main.Celsius x2?",
	 "~r0 float64 x0?", true},
	/* [1]int decomposes; [2]int never goes in registers */
	{"main.Structs", "p main.Point rax,rbx | one [1]int rcx | two [2]int composite@8",
	 "~r0 main.Point rax,rbx", true},
	/* DWARF omits unnamed parameters: caught by the frame-size check */
	{"main.Unnamed", "", "~r0 int ?sig", false},
	/* the dictionary of generic code comes first, in RAX */
	{"main.Generic[go.shape.int_0]", ".dict uintptr rax | v go.shape.int_0 rbx | n int rcx",
	 "~r0 go.shape.int_0 rax", true},
	{"main.Generic[go.shape.string_0]",
	 ".dict uintptr rax | v go.shape.string_0 rbx,rcx | n int rdi",
	 "~r0 go.shape.string_0 rax,rbx", true},
};

static const struct sig_case methods_cases[] = {
	{"main.(*Counter).Add", "c *main.Counter rax | d int rbx", "~r0 int rax", true},
	{"main.Counter.Name", "c main.Counter rax,rbx,rcx | prefix string rdi,rsi",
	 "~r0 string rax,rbx", true},
	{"main.Rect.Area", "r main.Rect rax,rbx | scale int rcx", "~r0 int rax", true},
	{"main.Measure", "s main.Shape rax,rbx", "~r0 int rax", true},
	/* the compiler's pointer wrapper: its DWARF lacks the receiver */
	{"main.(*Rect).Area", "scale int ?sig", "~r0 int ?sig", false},
};

static const struct sig_case recursive_cases[] = {
	{"main.Fib", "n int rax", "~r0 int rax", true},
	{"main.Depth", "n int rax | pad [64]uint8 composite@8", "~r0 int rax", true},
};

TT_TEST(go_binary, param_locations_register_abi)
{
	for (int mode = BUILD_DEFAULT; mode <= BUILD_NOINLINE; mode++) {
		struct tt_go_binary *bin = open_ok(go_build("tests/fixtures/go/args", mode));

		for (size_t i = 0; i < TT_ARRAY_SIZE(args_cases); i++)
			check_sig(bin, &args_cases[i]);
		tt_go_binary__free(bin);
		bin = open_ok(go_build("tests/fixtures/go/methods", mode));
		for (size_t i = 0; i < TT_ARRAY_SIZE(methods_cases); i++)
			check_sig(bin, &methods_cases[i]);
		tt_go_binary__free(bin);
		bin = open_ok(go_build("tests/fixtures/go/recursive", mode));
		for (size_t i = 0; i < TT_ARRAY_SIZE(recursive_cases); i++)
			check_sig(bin, &recursive_cases[i]);
		tt_go_binary__free(bin);
	}
}

TT_TEST(go_binary, param_kinds_and_pieces)
{
	struct tt_go_binary *bin = open_ok(go_build("tests/fixtures/go/args", BUILD_NOINLINE));
	struct tt_go_func *fn = func_ok(bin, "main.Sig");
	const struct tt_go_param *p = fn->params;

	assert_int_equal(fn->param_cnt, 5);
	assert_int_equal(fn->result_cnt, 2);
	assert_int_equal(p[0].go_kind, TT_GO_KIND_INT);
	assert_int_equal(p[0].tt_kind, TT_KIND_S64);
	assert_null(p[0].pieces[0].name); /* a scalar has one unnamed piece */
	assert_int_equal(p[1].go_kind, TT_GO_KIND_STRING);
	assert_int_equal(p[1].tt_kind, TT_KIND_BYTES);
	assert_int_equal(p[1].pieces[0].tt_kind, TT_KIND_PTR);
	assert_int_equal(p[1].pieces[1].tt_kind, TT_KIND_S64);
	assert_string_equal(p[1].pieces[1].name, "len");
	assert_int_equal(p[2].go_kind, TT_GO_KIND_SLICE);
	assert_int_equal(p[2].piece_cnt, 3);
	assert_string_equal(p[2].pieces[2].name, "cap");
	assert_int_equal(p[3].go_kind, TT_GO_KIND_FLOAT);
	assert_int_equal(p[3].tt_kind, TT_KIND_F64);
	assert_false(p[3].avail);
	assert_int_equal(p[3].unavail, TT_GO_UNAVAIL_FLOAT_REG);
	assert_int_equal(p[3].pieces[0].loc, 0);
	assert_int_equal(p[3].pieces[0].xreg, 0);
	assert_int_equal(p[4].tt_kind, TT_KIND_S8);
	assert_int_equal(p[4].pieces[0].size, 1);
	assert_true(p[4].avail);
	assert_true(fn->results[0].is_result);
	assert_false(p[0].is_result);
	tt_go_func__free(fn);

	fn = func_ok(bin, "main.Flags");
	assert_int_equal(fn->params[0].go_kind, TT_GO_KIND_BOOL);
	assert_int_equal(fn->params[0].tt_kind, TT_KIND_U8);
	assert_int_equal(fn->params[1].go_kind, TT_GO_KIND_PTR);
	assert_int_equal(fn->params[1].tt_kind, TT_KIND_PTR);
	assert_int_equal(fn->params[2].go_kind, TT_GO_KIND_UINTPTR);
	tt_go_func__free(fn);

	fn = func_ok(bin, "main.Iface");
	assert_int_equal(fn->params[0].go_kind, TT_GO_KIND_INTERFACE);
	assert_int_equal(fn->params[2].go_kind, TT_GO_KIND_MAP);
	tt_go_func__free(fn);

	fn = func_ok(bin, "main.Spill"); /* stack pieces are MEM relative to %rsp */
	const struct tt_go_param *s = &fn->params[9];

	assert_true(s->on_stack);
	assert_int_equal(s->stack_off, 8);
	assert_int_equal(s->pieces[1].loc, TT_LOC_MEM);
	assert_int_equal(s->pieces[1].reg, TT_REG_RSP);
	assert_int_equal(s->pieces[1].disp, 16);
	tt_go_func__free(fn);
	tt_go_binary__free(bin);
}

TT_TEST(go_binary, stripped_binary_has_sites_but_no_signature)
{
	const char *path = go_build("tests/fixtures/go/args", BUILD_STRIPPED);
	struct tt_go_binary *bin = open_ok(path);
	struct tt_go_func *fn = func_ok(bin, "main.Sig");

	assert_int_equal(fn->sig_source, TT_GO_SIG_NONE);
	assert_int_equal(fn->param_cnt, 0);
	assert_int_equal(fn->result_cnt, 0);
	assert_true(fn->has_prologue);
	assert_int_equal(fn->ret_cnt, 1);
	check_sites_against_objdump(path, fn);
	tt_go_func__free(fn);
	tt_go_binary__free(bin);
}

TT_TEST(go_binary, unknown_and_inlined_functions)
{
	struct tt_go_binary *bin = open_ok(go_build("tests/fixtures/go/args", BUILD_DEFAULT));
	struct tt_go_func *fn = (void *)1;

	assert_int_equal(tt_go_binary__func_info(bin, "main.NoSuchFunction", &fn), -ENOENT);
	assert_null(fn);
	assert_int_equal(tt_go_binary__func_info_at(bin, 1, &fn), -ENOENT);
	/* inlined at its only call site: DWARF knows it, but there is no code of its own */
	assert_int_equal(tt_go_binary__func_info(bin, "main.Small", &fn), -TT_E_INLINED);
	tt_go_binary__free(bin);

	bin = open_ok(go_build("tests/fixtures/go/args", BUILD_NOINLINE));
	fn = func_ok(bin, "main.Small");
	assert_int_equal(fn->param_cnt, 2);
	tt_go_func__free(fn);
	tt_go_binary__free(bin);
}

/* ---- robustness against malformed files ---- */

struct section_loc {
	uint64_t off;
	uint64_t size;
};

static struct section_loc find_section(const char *path, const char *name)
{
	struct section_loc loc = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	Elf *elf;
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	assert_int_equal(elf_getshdrstrndx(elf, &shstrndx), 0);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *n;

		if (gelf_getshdr(scn, &sh) && (n = elf_strptr(elf, shstrndx, sh.sh_name)) &&
		    !strcmp(n, name)) {
			loc.off = sh.sh_offset;
			loc.size = sh.sh_size;
		}
	}
	elf_end(elf);
	close(fd);
	assert_true(loc.size > 0);
	return loc;
}

static char *copy_file(const char *from, const char *name)
{
	static char path[PATH_MAX];
	struct tt_buf out = {0};

	snprintf(path, sizeof(path), "%s/%s", tmp_dir(), name);
	char *argv[] = {"/bin/cp", (char *)from, path, NULL};

	assert_int_equal(run_cmd(argv, NULL, NULL, 60, &out), 0);
	tt_buf_free(&out);
	return path;
}

static void pwrite_ok(int fd, const void *p, size_t n, uint64_t off)
{
	assert_int_equal(pwrite(fd, p, n, (off_t)off), (ssize_t)n);
}

static void pread_ok(int fd, void *p, size_t n, uint64_t off)
{
	assert_int_equal(pread(fd, p, n, (off_t)off), (ssize_t)n);
}

/* Open must fail with err (and errbuf containing msg), or succeed when err is 0. */
static void expect_open(const char *path, int err, const char *msg)
{
	char errbuf[256] = "";
	struct tt_go_binary *bin = tt_go_binary__open(path, errbuf, sizeof(errbuf));

	if (!err) {
		assert_non_null(bin);
		tt_go_binary__free(bin);
		return;
	}
	if (bin)
		fail_msg("open of a corrupt file succeeded (want %s)", tt_strerror(err));
	if (errno != err || (msg && !strstr(errbuf, msg)))
		fail_msg("open: %s: %s (want %s: %s)", tt_strerror(errno), errbuf, tt_strerror(err), msg);
}

TT_TEST(go_binary, malformed_pclntab_is_rejected_cleanly)
{
	const char *path = copy_file(go_build("tests/fixtures/go/args", BUILD_STRIPPED), "corrupt");
	struct section_loc pcln = find_section(path, ".gopclntab");
	uint8_t hdr[72], saved[8], b;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	uint64_t x = 0x9e3779b97f4a7c15ULL; /* xorshift state: the same mutations every run */

	assert_true(fd >= 0);
	pread_ok(fd, hdr, sizeof(hdr), pcln.off);
	expect_open(path, 0, NULL);

	static const struct {
		uint32_t magic;
		int err;
		const char *msg;
	} magics[] = {
		{0xfffffffb, ENOTSUP, "1.2-1.15"}, {0xfffffffa, ENOTSUP, "1.16-1.17"},
		{0x12345678, ENOTSUP, "unknown pclntab magic"}, {0xfffffff1, 0, NULL},
	};
	for (size_t i = 0; i < TT_ARRAY_SIZE(magics); i++) {
		uint8_t m[4];

		tt_put_le32(m, magics[i].magic);
		pwrite_ok(fd, m, 4, pcln.off);
		expect_open(path, magics[i].err, magics[i].msg);
	}
	pwrite_ok(fd, hdr, 4, pcln.off);

	/* header words: nfunc, then the function-table offset, then the name-table offset */
	static const struct {
		unsigned word_off;
		uint64_t value;
		const char *msg;
	} words[] = {
		{8, UINT64_MAX, "out of bounds"}, {8, 1ULL << 40, "out of bounds"},
		{64, UINT64_MAX - 7, "out of bounds"}, {64, 8, NULL}, {32, UINT64_MAX, "out of bounds"},
	};
	for (size_t i = 0; i < TT_ARRAY_SIZE(words); i++) {
		uint8_t v[8];

		pread_ok(fd, saved, 8, pcln.off + words[i].word_off);
		tt_put_le64(v, words[i].value);
		pwrite_ok(fd, v, 8, pcln.off + words[i].word_off);
		expect_open(path, TT_E_BAD_ELF, words[i].msg);
		pwrite_ok(fd, saved, 8, pcln.off + words[i].word_off);
	}
	b = 4; /* pointer size 4: not a 64-bit table */
	pwrite_ok(fd, &b, 1, pcln.off + 7);
	expect_open(path, TT_E_BAD_ELF, "64-bit");
	pwrite_ok(fd, hdr + 7, 1, pcln.off + 7);
	expect_open(path, 0, NULL);

	/*
	 * Bounded random damage to the header and the start of the function table: each round
	 * flips one byte, opens (success or a clean error), analyses a few functions, restores.
	 */
	uint64_t ftab = tt_get_le64(hdr + 64);

	for (int round = 0; round < 300; round++) {
		uint64_t pos;
		uint8_t old, val;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		pos = round % 2 ? (x >> 8) % 72 : ftab + (x >> 8) % 4096;
		if (pos >= pcln.size)
			continue;
		val = (uint8_t)x;
		pread_ok(fd, &old, 1, pcln.off + pos);
		pwrite_ok(fd, &val, 1, pcln.off + pos);

		struct tt_go_binary *bin = tt_go_binary__open(path, NULL, 0);

		if (bin) {
			struct collect_ctx c = {.stop_after = 20};

			tt_go_binary__for_each_func(bin, NULL, collect_cb, &c);
			for (int k = 0; k < 3; k++) {
				struct tt_go_func *fn = NULL;

				if (!tt_go_binary__func_info(bin, k == 0 ? "main.Sig" : k == 1 ? "main.main"
											      : "runtime.main", &fn))
					tt_go_func__free(fn);
			}
			tt_go_binary__free(bin);
		} else {
			assert_true(errno == TT_E_BAD_ELF || errno == ENOTSUP);
		}
		pwrite_ok(fd, &old, 1, pcln.off + pos);
	}
	close(fd);
	expect_open(path, 0, NULL);
}

/* Rewrite the inline version string in .go.buildinfo (same length) to exercise the goid table. */
TT_TEST(go_binary, goid_offset_table_by_version)
{
	const char *path = copy_file(go_build("tests/fixtures/go/args", BUILD_STRIPPED), "version");
	struct section_loc bi = find_section(path, ".go.buildinfo");
	static const struct {
		const char *version;
		int err;
		uint32_t off;
	} cases[] = {
		{"go1.13.9", 0, 152}, {"go1.22.1", 0, 152}, {"go1.23.0", 0, 160}, {"go1.24.5", 0, 160},
		{"go1.25.1", 0, 152}, {"go1.12.9", -ENOENT, 0},
	};
	int fd = open(path, O_RDWR | O_CLOEXEC);
	uint8_t len;

	assert_true(fd >= 0);
	pread_ok(fd, &len, 1, bi.off + 32); /* the varint length of the version string */
	assert_int_equal(len, 8);           /* "go1.19.8" */
	for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++) {
		struct tt_go_binary *bin;
		enum tt_go_goid_source src = 0;
		uint32_t off = 0;

		pwrite_ok(fd, cases[i].version, 8, bi.off + 33);
		bin = open_ok(path);
		assert_string_equal(tt_go_binary__version(bin), cases[i].version);
		assert_int_equal(tt_go_binary__goid_offset(bin, &off, &src), cases[i].err);
		if (!cases[i].err) {
			assert_int_equal(off, cases[i].off);
			assert_int_equal(src, TT_GO_GOID_TABLE);
		}
		tt_go_binary__free(bin);
	}
	close(fd);
}

/* ---- the example ---- */

TT_TEST(go_binary, example_go_server_signatures)
{
	static const struct sig_case cases[] = {
		{"main.prepareAnswer", "name string rax,rbx | year int rcx | status int rdi",
		 "~r0 string rax,rbx", true},
		{"main.checkSite", "", "~r0 int rax", true},
	};

	for (int mode = BUILD_DEFAULT; mode <= BUILD_NOINLINE; mode++) {
		const char *path = go_build("examples/go-server", mode);
		struct tt_go_binary *bin = open_ok(path);
		struct tt_go_func *fn = NULL;
		int err = tt_go_binary__func_info(bin, "main.prepareAnswer", &fn);

		/*
		 * Go 1.19 does not inline prepareAnswer even in the default build (fmt.Sprintf puts it
		 * over the inlining budget); a version that did would give -TT_E_INLINED here.
		 */
		if (err)
			fail_msg("%s build: main.prepareAnswer: %s", mode_names[mode], tt_strerror(err));
		check_sites_against_objdump(path, fn);
		tt_go_func__free(fn);
		for (size_t i = 0; i < TT_ARRAY_SIZE(cases); i++)
			check_sig(bin, &cases[i]);
		tt_go_binary__free(bin);
	}
}
