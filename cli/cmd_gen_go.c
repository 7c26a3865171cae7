/* SPDX-License-Identifier: MIT */
/*
 * `tracetape gen-go PROVIDER.d -o DIR/NAME.go [-package P]`: turns a DTrace provider file into
 * a Go package of static probes (schemas/go_gen.h, contract schemas/GO_PROBES.md): NAME.go,
 * NAME_amd64.s, NAME_other.go, NAME_goid_amd64.go and NAME_goid123_amd64.go in DIR. Each file
 * is written to a temporary name first and they are renamed only once all are written, so
 * that a failed run never leaves a half package behind.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "go_gen.h"
#include "provider_file.h"
#include "tt_cmd.h"
#include "tt_error.h"
#include "tt_util.h"

enum { OPT_PACKAGE = TT_OPT_FIRST };

static const struct tt_opt opts[] = {
	{'o', "output", 'o', "FILE.go", "write the package's Go file to FILE.go, with FILE_amd64.s, "
					 "FILE_other.go, FILE_goid_amd64.go and FILE_goid123_amd64.go "
					 "next to it (required)", NULL},
	{OPT_PACKAGE, "package", 0, "NAME", "the Go package name (default: the name of FILE.go's directory)",
	 NULL},
	{0},
};

const struct tt_cmd_def tt_cmd_def_gen_go = {
	.summary = "generate a Go package of static probes from a DTrace provider file",
	.name = "gen-go",
	.usage = "PROVIDER.d -o FILE.go [--package NAME]",
	.about = "Generate a Go package of static probes from a DTrace provider file: for `provider myapp\n"
		 "{ probe query__start(uint64_t id, char *sql); };` a function QueryStart(id uint64, sql\n"
		 "string) that costs one load and one branch while nobody traces it, and\n"
		 "QueryStartEnabled() bool. No cgo: the probes are assembly functions the recorder finds\n"
		 "in the binary, stripped or PIE (`record 'usdt:myapp:*' -- ./prog`, `list ./prog`); each\n"
		 "event carries its goroutine id. Types: int8..int64 and uint8..uint64 from C integers,\n"
		 "float32/float64, string from char *, []byte from uint8_t *, uintptr from other pointers.\n",
	.opts = opts,
	.more = "Exit status: 0 success; 1 when the provider file cannot be read or parsed, a probe has\n"
		"no Go equivalent, or the output cannot be written; 2 for a bad command line.\n",
};

struct out_file {
	const struct tt_buf *text;
	char *path, *tmp;
	int in_place; /* path is a device or a pipe: written there, not renamed over */
};

/*
 * Write each file to its temporary name; then rename them all. A device or a pipe is written in
 * place. Returns 0 or -errno.
 */
static int write_files(struct out_file *f, size_t n, const struct tt_out *out)
{
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		FILE *fp = fopen(f[i].in_place ? f[i].path : f[i].tmp, "we");

		if (!fp) {
			err = -errno;
			tt_err(out, "%s: %s", f[i].path, strerror(-err));
			break;
		}
		errno = 0;
		if (fwrite(f[i].text->data, 1, f[i].text->len, fp) != f[i].text->len || fflush(fp))
			err = errno ? -errno : -EIO;
		if (fclose(fp) && !err)
			err = -errno;
		if (err)
			tt_err(out, "%s: %s", f[i].path, strerror(-err));
	}
	for (size_t i = 0; i < n && !err; i++) {
		if (!f[i].in_place && rename(f[i].tmp, f[i].path)) {
			err = -errno;
			tt_err(out, "%s: %s", f[i].path, strerror(-err));
		}
	}
	return err;
}

int tt_cmd_gen_go(int argc, char **argv, struct tt_out *out)
{
	struct tt_provider_file *pf = NULL;
	struct tt_provider_error perr;
	const char *output = NULL, *package = NULL, *src, *v;
	struct tt_go_gen gen = {0};
	struct out_file files[5] = {{0}};
	char errbuf[512], *dir = NULL, *stem = NULL;
	struct tt_opts p;
	size_t len;
	int c, err;

	tt_opts_init(&p, &tt_cmd_def_gen_go, argc, argv, out);
	while ((c = tt_opts_next(&p, &v)) > 0) {
		if (c == 'o')
			output = v;
		else if (c == OPT_PACKAGE)
			package = v;
	}
	if (c == TT_OPTS_DONE && p.arg_cnt == 1 && !output)
		c = tt_cmd_usage_error(out, "name the Go file to write (-o FILE.go)");
	else if (c == TT_OPTS_DONE && p.arg_cnt == 1 &&
		 ((len = strlen(output)) < 4 || strcmp(output + len - 3, ".go")))
		c = tt_cmd_usage_error(out, "-o '%s': expected a file name ending in .go", output);
	if (c < 0 || p.arg_cnt != 1) {
		if (c == TT_OPTS_DONE)
			c = p.arg_cnt ? tt_cmd_usage_error(out, "unexpected argument '%s'", p.args[1])
				      : tt_cmd_usage_error(out, "name the provider file (PROVIDER.d)");
		tt_opts_free(&p);
		return c == TT_OPTS_HELP ? 0 : c;
	}
	src = p.args[0]; /* into argv: outlives the parser */
	tt_opts_free(&p);

	dir = strdup(output);
	stem = strndup(output, strlen(output) - 3);
	if (!dir || !stem) {
		err = -ENOMEM;
		tt_err(out, "out of memory");
		goto cleanup;
	}
	if (!package) {
		package = basename(dirname(dir));
		if (!strcmp(package, ".") || !strcmp(package, "/")) {
			char *cwd = getcwd(NULL, 0);

			free(dir);
			dir = cwd ? strdup(basename(cwd)) : NULL;
			free(cwd);
			package = dir ? dir : "";
		}
		if (!tt_go_is_identifier(package)) {
			err = tt_cmd_usage_error(out, "the directory name '%s' is not a Go package name: "
						 "give one with --package", package);
			goto cleanup;
		}
	}
	err = tt_provider_file__load(src, &pf, &perr);
	if (err) {
		if (perr.line)
			tt_err(out, "%s:%u:%u: %s", src, perr.line, perr.col, perr.msg);
		else
			tt_err(out, "%s: %s", src, perr.msg);
		goto cleanup;
	}
	err = tt_go_gen(pf, package, src, &gen, errbuf, sizeof(errbuf));
	if (err == -TT_E_USAGE) {
		err = tt_cmd_usage_error(out, "%s", errbuf);
		goto cleanup;
	}
	if (err) {
		tt_err(out, "%s: %s", src, err == -ENOMEM ? "out of memory" : errbuf);
		goto cleanup;
	}
	files[0].text = &gen.go;
	files[1].text = &gen.asm_;
	files[2].text = &gen.other;
	files[3].text = &gen.goid;
	files[4].text = &gen.goid123;
	for (size_t i = 0; i < TT_ARRAY_SIZE(files); i++) {
		static const char *const suffix[] = {".go", "_amd64.s", "_other.go", "_goid_amd64.go",
						     "_goid123_amd64.go"};

		if (asprintf(&files[i].path, "%s%s", stem, suffix[i]) < 0)
			files[i].path = NULL;
		else if (asprintf(&files[i].tmp, "%s.tmp.%d", files[i].path, (int)getpid()) < 0)
			files[i].tmp = NULL;
		else
			files[i].in_place = tt_cmd_output_in_place(files[i].path);
	}
	for (size_t i = 0; i < TT_ARRAY_SIZE(files); i++) {
		if (!files[i].tmp) {
			err = -ENOMEM;
			tt_err(out, "out of memory");
			goto cleanup;
		}
	}
	err = write_files(files, TT_ARRAY_SIZE(files), out);
cleanup:
	for (size_t i = 0; i < TT_ARRAY_SIZE(files); i++) {
		if (files[i].tmp)
			unlink(files[i].tmp); /* gone already when renamed */
		free(files[i].tmp);
		free(files[i].path);
	}
	tt_go_gen_free(&gen);
	tt_provider_file__free(pf);
	free(dir);
	free(stem);
	return err;
}
