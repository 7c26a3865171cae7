/* SPDX-License-Identifier: MIT */
/* The arguments of a Go function probe (see go_args.h). */
#include <linux/types.h> /* the __u8.. of record.h */
#include <stdlib.h>
#include <string.h>

#include "attach.h" /* tt_reg_pt_regs_off() */
#include "go_args.h"
#include "tt_types.h"

/* A column name from a Go name: "~r0" -> "r0", ".dict" -> "dict", "s" + "len" -> "s_len". */
static char *go_column(const char *name, const char *piece)
{
	char buf[128], *p = buf;

	for (const char *q = name; *q && p < buf + sizeof(buf) - 1; q++) {
		int ok = (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '_' ||
			 (*q >= '0' && *q <= '9');

		if (ok || (p > buf && p[-1] != '_'))
			*p++ = ok ? *q : '_';
	}
	if (piece && p < buf + sizeof(buf) - 2) {
		*p++ = '_';
		for (const char *q = piece; *q && p < buf + sizeof(buf) - 1; q++)
			*p++ = (*q == '.') ? '_' : *q;
	}
	while (p > buf && p[-1] == '_')
		p--;
	*p = '\0';
	if (!buf[0] || (buf[0] >= '0' && buf[0] <= '9'))
		return NULL;
	return strdup(buf);
}

/*
 * A parameter that holds code the program will run or ran: a *runtime.funcval (the function a
 * goroutine starts at, runtime.newproc1's fn) or a uintptr named like a pc (its callerpc). Such
 * values are recorded as the name of the function they point into, so that goroutine creation
 * reads "main.checkSite.func1 created by main.checkSite".
 */
static int go_code_address(const struct tt_go_param *prm)
{
	size_t n = strlen(prm->name);

	if (prm->piece_cnt != 1)
		return 0;
	if (prm->go_kind == TT_GO_KIND_PTR && !strcmp(prm->type_name, "*runtime.funcval"))
		return prm->pieces[0].loc == TT_LOC_REG;
	return prm->go_kind == TT_GO_KIND_UINTPTR && n >= 2 && !strcmp(prm->name + n - 2, "pc");
}

static void go_piece_arg(const struct tt_go_piece *pc, struct tt_bpf_arg *a)
{
	a->size = pc->size;
	a->scale = 1;
	if (TT_KIND_CLASS(pc->tt_kind) == TT_CLASS_SINT)
		a->flags |= TT_BPF_ARG_SIGNED;
	if (pc->loc == TT_LOC_REG) {
		a->loc = TT_BPF_LOC_REG;
		a->base_off = tt_reg_pt_regs_off(pc->reg);
	} else {
		a->loc = TT_BPF_LOC_MEM;
		a->flags |= TT_BPF_ARG_BASE;
		a->base_off = tt_reg_pt_regs_off(TT_REG_RSP);
		a->disp = pc->disp;
	}
}

/*
 * The arguments of a Go probe: every readable parameter (entry) or result (return). A string
 * is one argument (its bytes); a slice, an interface or a small struct is one argument per
 * word ("b_ptr", "b_len", "b_cap"). Values in SSE registers cannot be read from BPF (pt_regs
 * holds no vector registers) and are left out, as are values beyond TT_MAX_ARGS words.
 */
void tt_go_args_build(const struct tt_out *out, const char *fn, const struct tt_go_param *params,
		      size_t cnt, struct tt_probe_set_probe *p, struct tt_bpf_site *site)
{
	for (size_t i = 0; i < cnt; i++) {
		const struct tt_go_param *prm = &params[i];
		int is_str = prm->go_kind == TT_GO_KIND_STRING && prm->piece_cnt == 2;
		unsigned words = is_str ? 1 : prm->piece_cnt;

		if (!prm->avail || !prm->piece_cnt) {
			tt_info(out, "%s: %s %s is not recorded (%s)", fn, prm->name, prm->type_name,
				prm->unavail == TT_GO_UNAVAIL_FLOAT_REG ? "in an SSE register" :
				prm->unavail == TT_GO_UNAVAIL_SIGNATURE ? "DWARF and the frame disagree" :
				"too composite");
			continue;
		}
		if (site->argc + words > TT_MAX_ARGS) {
			tt_warn(out, "%s: only the first %d argument words are recorded", fn,
				TT_MAX_ARGS);
			break; /* and the probe has the arguments recorded so far */
		}
		if (go_code_address(prm)) {
			struct tt_bpf_arg *a = &site->args[site->argc];

			go_piece_arg(&prm->pieces[0], a);
			if (prm->go_kind == TT_GO_KIND_PTR) {
				/* *runtime.funcval: its first word is the entry of the code */
				a->loc = TT_BPF_LOC_MEM;
				a->flags |= TT_BPF_ARG_BASE;
				a->disp = 0;
				a->size = 8;
			}
			p->d.kinds[site->argc] = TT_KIND_STR;
			p->d.arg_names[site->argc] = go_column(prm->name, NULL);
			p->str_mask |= 1u << site->argc;
			p->sym_mask |= 1u << site->argc;
			site->argc++;
			continue;
		}
		if (is_str) {
			struct tt_bpf_arg *a = &site->args[site->argc];
			const struct tt_go_piece *len = &prm->pieces[1];

			go_piece_arg(&prm->pieces[0], a);
			a->flags = TT_BPF_ARG_BYTES | (a->flags & TT_BPF_ARG_BASE);
			a->size = 8;
			a->len_loc = len->loc == TT_LOC_REG ? TT_BPF_LOC_REG : TT_BPF_LOC_MEM;
			a->len_off = tt_reg_pt_regs_off(len->loc == TT_LOC_REG ? len->reg : TT_REG_RSP);
			a->len_disp = len->loc == TT_LOC_REG ? 0 : len->disp;
			site->flags |= TT_BPF_SITE_STRS;
			p->d.kinds[site->argc] = TT_KIND_BYTES;
			p->d.arg_names[site->argc] = go_column(prm->name, NULL);
			p->str_mask |= 1u << site->argc;
			site->argc++;
			continue;
		}
		for (unsigned k = 0; k < prm->piece_cnt; k++) {
			const struct tt_go_piece *pc = &prm->pieces[k];

			go_piece_arg(pc, &site->args[site->argc]);
			p->d.kinds[site->argc] = pc->tt_kind;
			p->d.arg_names[site->argc] = go_column(prm->name, prm->piece_cnt > 1 ? pc->name : NULL);
			site->argc++;
		}
	}
	p->d.argc = site->argc;
}
