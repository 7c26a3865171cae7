/* SPDX-License-Identifier: MIT */
/*
 * Where a Go function's parameters and results are at its entry and at its RETs (see
 * go_abi.h): DWARF types are resolved (typedefs followed, DW_AT_go_kind read), broken down into
 * the base values the register assignment sees, and assigned to registers or stack slots by the
 * algorithm of golang/go src/cmd/compile/abi-internal.md; the argument frame this implies is
 * compared with the pclntab's. A type this code does not understand makes the whole signature
 * unreliable rather than guessed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>

#include "go_abi.h"
#include "tt_util.h"

/* Go DWARF extensions (golang/go src/cmd/internal/dwarf/dwarf.go). */
#define DW_AT_go_kind 0x2900

/* reflect.Kind values, as DW_AT_go_kind carries them. */
enum {
	RK_BOOL = 1, RK_INT = 2, RK_INT64 = 6, RK_UINT = 7, RK_UINT64 = 11, RK_UINTPTR = 12,
	RK_FLOAT32 = 13, RK_FLOAT64 = 14, RK_COMPLEX64 = 15, RK_COMPLEX128 = 16, RK_ARRAY = 17,
	RK_CHAN = 18, RK_FUNC = 19, RK_INTERFACE = 20, RK_MAP = 21, RK_PTR = 22, RK_SLICE = 23,
	RK_STRING = 24, RK_STRUCT = 25, RK_UNSAFE_PTR = 26,
};

/* amd64 ABIInternal register sequences. */
static const uint8_t abi_int_regs[] = {
	TT_REG_RAX, TT_REG_RBX, TT_REG_RCX, TT_REG_RDI, TT_REG_RSI,
	TT_REG_R8, TT_REG_R9, TT_REG_R10, TT_REG_R11,
};
#define ABI_INT_REG_CNT ((unsigned)TT_ARRAY_SIZE(abi_int_regs))
#define ABI_FLOAT_REG_CNT 15u /* X0-X14; X15 is the fixed zero register */
#define PTR_SZ 8u

/* Bounds on work done for one type, so that a cyclic or absurd DWARF cannot run away. */
#define TYPE_DEPTH_MAX 16
#define TYPEDEF_HOPS_MAX 16
/* More leaves than there are argument registers can never be register-assigned. */
#define LEAVES_MAX (9 + 15)
#define LEAF_NAME_SZ 64

bool tt_go_die_member_offset(Dwarf_Die *die, uint64_t *off)
{
	Dwarf_Attribute a;
	Dwarf_Word w;

	if (!dwarf_attr(die, DW_AT_data_member_location, &a) || dwarf_formudata(&a, &w))
		return false;
	*off = w;
	return true;
}

struct go_type {
	Dwarf_Die die;      /* the underlying type, typedefs followed */
	const char *name;   /* the outermost name (the one the program uses) */
	int rkind;          /* reflect.Kind: from DW_AT_go_kind, else derived from the DIE */
	int tag;
	uint64_t size;
};

static int die_go_kind(Dwarf_Die *d)
{
	Dwarf_Attribute a;
	Dwarf_Word w;

	if (!dwarf_attr(d, DW_AT_go_kind, &a) || dwarf_formudata(&a, &w) || w > RK_UNSAFE_PTR)
		return 0;
	return (int)w;
}

static bool die_type(Dwarf_Die *d, Dwarf_Die *out)
{
	Dwarf_Attribute a;

	return dwarf_attr_integrate(d, DW_AT_type, &a) && dwarf_formref_die(&a, out);
}

static bool die_udata(Dwarf_Die *d, unsigned at, uint64_t *v)
{
	Dwarf_Attribute a;
	Dwarf_Word w;

	if (!dwarf_attr(d, at, &a) || dwarf_formudata(&a, &w))
		return false;
	*v = w;
	return true;
}

/* Follow typedefs; the first DW_AT_go_kind met on the way wins ("error" -> iface struct). */
static int type_resolve(Dwarf_Die *in, struct go_type *t)
{
	Dwarf_Die d = *in;
	uint64_t enc;

	memset(t, 0, sizeof(*t));
	t->name = dwarf_diename(&d);
	for (int hop = 0;; hop++) {
		if (!t->rkind)
			t->rkind = die_go_kind(&d);
		t->tag = dwarf_tag(&d);
		if (t->tag != DW_TAG_typedef && t->tag != DW_TAG_const_type &&
		    t->tag != DW_TAG_volatile_type)
			break;
		if (hop >= TYPEDEF_HOPS_MAX || !die_type(&d, &d))
			return -1;
		/* generic code names its type parameters ".param0": the shape behind says more */
		if (!t->name || t->name[0] == '.')
			t->name = dwarf_diename(&d);
	}
	t->die = d;
	if (t->tag == DW_TAG_pointer_type || t->tag == DW_TAG_subroutine_type) {
		t->size = PTR_SZ;
	} else if (!die_udata(&d, DW_AT_byte_size, &t->size)) {
		return -1;
	}
	if (!t->rkind) {
		switch (t->tag) {
		case DW_TAG_pointer_type: t->rkind = RK_PTR; break;
		case DW_TAG_subroutine_type: t->rkind = RK_FUNC; break;
		case DW_TAG_structure_type: t->rkind = RK_STRUCT; break;
		case DW_TAG_array_type: t->rkind = RK_ARRAY; break;
		case DW_TAG_base_type:
			if (!die_udata(&d, DW_AT_encoding, &enc))
				return -1;
			if (enc == DW_ATE_boolean)
				t->rkind = RK_BOOL;
			else if (enc == DW_ATE_float)
				t->rkind = t->size == 4 ? RK_FLOAT32 : RK_FLOAT64;
			else if (enc == DW_ATE_complex_float)
				t->rkind = t->size == 8 ? RK_COMPLEX64 : RK_COMPLEX128;
			else if (enc == DW_ATE_signed || enc == DW_ATE_signed_char)
				t->rkind = RK_INT;
			else
				t->rkind = RK_UINT;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

static enum tt_go_kind go_kind_of(int rk)
{
	if (rk == RK_BOOL)
		return TT_GO_KIND_BOOL;
	if (rk >= RK_INT && rk <= RK_INT64)
		return TT_GO_KIND_INT;
	if (rk >= RK_UINT && rk <= RK_UINT64)
		return TT_GO_KIND_UINT;
	switch (rk) {
	case RK_UINTPTR: return TT_GO_KIND_UINTPTR;
	case RK_FLOAT32: case RK_FLOAT64: return TT_GO_KIND_FLOAT;
	case RK_COMPLEX64: case RK_COMPLEX128: return TT_GO_KIND_COMPLEX;
	case RK_ARRAY: return TT_GO_KIND_ARRAY;
	case RK_CHAN: return TT_GO_KIND_CHAN;
	case RK_FUNC: return TT_GO_KIND_FUNC;
	case RK_INTERFACE: return TT_GO_KIND_INTERFACE;
	case RK_MAP: return TT_GO_KIND_MAP;
	case RK_PTR: case RK_UNSAFE_PTR: return TT_GO_KIND_PTR;
	case RK_SLICE: return TT_GO_KIND_SLICE;
	case RK_STRING: return TT_GO_KIND_STRING;
	case RK_STRUCT: return TT_GO_KIND_STRUCT;
	default: return TT_GO_KIND_OTHER;
	}
}

/* The TT_KIND of a scalar Go value of kind k and size bytes. */
static uint8_t scalar_tt_kind(enum tt_go_kind k, uint64_t size)
{
	switch (k) {
	case TT_GO_KIND_BOOL:
	case TT_GO_KIND_UINT:
	case TT_GO_KIND_UINTPTR: return TT_KIND(TT_CLASS_UINT, (unsigned)size);
	case TT_GO_KIND_INT: return TT_KIND(TT_CLASS_SINT, (unsigned)size);
	case TT_GO_KIND_FLOAT: return TT_KIND(TT_CLASS_FLOAT, (unsigned)size);
	case TT_GO_KIND_PTR:
	case TT_GO_KIND_MAP:
	case TT_GO_KIND_CHAN:
	case TT_GO_KIND_FUNC: return TT_KIND_PTR;
	default: return TT_KIND_NONE;
	}
}

/* Alignment of a Go type on amd64 (abi-internal.md, "Memory layout"). 0 on malformed input. */
static uint64_t type_align(Dwarf_Die *in, int depth)
{
	struct go_type t;
	Dwarf_Die m, elem;
	uint64_t a = 1;

	if (depth > TYPE_DEPTH_MAX || type_resolve(in, &t))
		return 0;
	switch (t.tag) {
	case DW_TAG_base_type:
		if (t.rkind == RK_COMPLEX64 || t.rkind == RK_COMPLEX128)
			return t.size / 2;
		return t.size ? t.size : 1;
	case DW_TAG_pointer_type:
	case DW_TAG_subroutine_type:
		return PTR_SZ;
	case DW_TAG_array_type:
		return die_type(&t.die, &elem) ? type_align(&elem, depth + 1) : 0;
	case DW_TAG_structure_type:
		if (dwarf_child(&t.die, &m) != 0)
			return 1;
		do {
			if (dwarf_tag(&m) != DW_TAG_member)
				continue;
			uint64_t ma = die_type(&m, &elem) ? type_align(&elem, depth + 1) : 0;

			if (!ma)
				return 0;
			a = TT_MAX(a, ma);
		} while (dwarf_siblingof(&m, &m) == 0);
		return a;
	default:
		return 0;
	}
}

struct leaf {
	uint8_t is_float;
	uint8_t size;
	uint8_t tt_kind;
	uint32_t mem_off; /* offset inside the value's memory layout */
	char name[LEAF_NAME_SZ];
};

struct leaves {
	struct leaf v[LEAVES_MAX];
	size_t cnt;
	bool too_many;   /* more leaves than registers exist: stack-assigned for sure */
	bool has_array;  /* contains an array of length > 1: never register-assigned */
};

static void leaf_name(char *dst, const char *path, const char *member)
{
	if (!path || !*path)
		snprintf(dst, LEAF_NAME_SZ, "%s", member ? member : "");
	else if (member)
		snprintf(dst, LEAF_NAME_SZ, "%s.%s", path, member);
	else
		snprintf(dst, LEAF_NAME_SZ, "%s", path);
}

static void leaf_add(struct leaves *l, bool is_float, uint64_t size, uint8_t kind, uint64_t off,
		     const char *name)
{
	if (l->cnt == LEAVES_MAX) {
		l->too_many = true;
		return;
	}
	struct leaf *x = &l->v[l->cnt++];

	x->is_float = is_float;
	x->size = (uint8_t)size;
	x->tt_kind = kind;
	x->mem_off = (uint32_t)off;
	snprintf(x->name, sizeof(x->name), "%s", name);
}

/*
 * Break a value down into the base values the register assignment sees (abi-internal.md,
 * "Register-assignment"): integers, pointers and pointer-shaped types are one integer word;
 * floats one float word; complex numbers two floats; strings, interfaces and slices their
 * components; structs their fields; arrays of length 0 nothing, of length 1 their element,
 * longer ones make the value stack-only. Returns 0, or -1 when the DWARF is not understood.
 */
static int collect_leaves(Dwarf_Die *in, uint64_t off, const char *path, struct leaves *l, int depth)
{
	struct go_type t;
	Dwarf_Die m, elem;
	char sub[LEAF_NAME_SZ];
	uint64_t cnt = 0, moff;
	enum tt_go_kind k;

	if (depth > TYPE_DEPTH_MAX || type_resolve(in, &t))
		return -1;
	k = go_kind_of(t.rkind);
	switch (t.tag) {
	case DW_TAG_base_type:
		if (k == TT_GO_KIND_COMPLEX) {
			leaf_name(sub, path, "real");
			leaf_add(l, true, t.size / 2, TT_KIND(TT_CLASS_FLOAT, (unsigned)t.size / 2), off, sub);
			leaf_name(sub, path, "imag");
			leaf_add(l, true, t.size / 2, TT_KIND(TT_CLASS_FLOAT, (unsigned)t.size / 2),
				 off + t.size / 2, sub);
			return 0;
		}
		if (t.size == 0 || t.size > 8 || (t.size & (t.size - 1)))
			return -1;
		leaf_add(l, k == TT_GO_KIND_FLOAT, t.size, scalar_tt_kind(k, t.size), off, path ? path : "");
		return 0;
	case DW_TAG_pointer_type:
	case DW_TAG_subroutine_type:
		leaf_add(l, false, PTR_SZ, TT_KIND_PTR, off, path ? path : "");
		return 0;
	case DW_TAG_structure_type:
		if (dwarf_child(&t.die, &m) != 0)
			return 0; /* no fields */
		do {
			if (dwarf_tag(&m) != DW_TAG_member)
				continue;
			if (!tt_go_die_member_offset(&m, &moff) || !die_type(&m, &elem))
				return -1;
			leaf_name(sub, path, dwarf_diename(&m));
			if (collect_leaves(&elem, off + moff, sub, l, depth + 1))
				return -1;
		} while (dwarf_siblingof(&m, &m) == 0 && !l->too_many);
		return 0;
	case DW_TAG_array_type:
		if (dwarf_child(&t.die, &m) == 0 && dwarf_tag(&m) == DW_TAG_subrange_type) {
			if (!die_udata(&m, DW_AT_count, &cnt)) {
				if (die_udata(&m, DW_AT_upper_bound, &cnt))
					cnt++;
				else
					cnt = t.size ? 2 : 0; /* unknown: only "empty" matters */
			}
		}
		if (cnt == 0)
			return 0;
		if (cnt > 1) {
			l->has_array = true;
			return 0;
		}
		if (!die_type(&t.die, &elem))
			return -1;
		snprintf(sub, sizeof(sub), "%s[0]", path ? path : "");
		return collect_leaves(&elem, off, sub, l, depth + 1);
	default:
		return -1;
	}
}

/* One value being assigned, with what we learned about its type. */
struct abi_val {
	struct tt_go_param *p;
	struct leaves leaves;
	uint64_t align;
	bool understood;   /* its type was decoded (else the whole signature is unreliable) */
	bool in_regs;
	uint64_t seq_off;  /* stack-assigned: offset in the argument frame */
	uint8_t int_reg0;  /* register-assigned: first integer / float register index */
	uint8_t float_reg0;
};

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return a > 1 ? (x + a - 1) / a * a : x;
}

/* abi-internal.md "Assigning a receiver, argument, or result". */
static void abi_assign(struct abi_val *v, unsigned *ni, unsigned *nfp, uint64_t *s)
{
	unsigned ints = 0, floats = 0;

	if (v->p->size == 0 || !v->understood || v->leaves.too_many || v->leaves.has_array)
		goto stack;
	for (size_t i = 0; i < v->leaves.cnt; i++) {
		if (v->leaves.v[i].is_float)
			floats++;
		else
			ints++;
	}
	if (*ni + ints > ABI_INT_REG_CNT || *nfp + floats > ABI_FLOAT_REG_CNT)
		goto stack;
	v->in_regs = true;
	v->int_reg0 = (uint8_t)*ni;
	v->float_reg0 = (uint8_t)*nfp;
	*ni += ints;
	*nfp += floats;
	return;
stack:
	*s = align_up(*s, v->align);
	v->seq_off = *s;
	*s += v->p->size;
}

/* Turn an assignment into pieces a BPF program can read (or reasons why not). */
static int make_pieces(struct abi_val *v, bool sig_ok)
{
	struct tt_go_param *p = v->p;
	unsigned ni = v->int_reg0, nfp = v->float_reg0;

	if (!sig_ok) { /* no location at all rather than a guessed one */
		p->unavail = TT_GO_UNAVAIL_SIGNATURE;
		return 0;
	}
	p->on_stack = !v->in_regs;
	/* the argument frame starts at the caller's SP: 8(%rsp) at entry and at RET, above the
	 * return address */
	p->stack_off = p->on_stack ? (int32_t)(PTR_SZ + v->seq_off) : 0;
	if (p->size == 0) {
		p->avail = 1;
		return 0;
	}
	if (!v->understood || v->leaves.too_many || v->leaves.has_array ||
	    v->leaves.cnt > TT_GO_PIECES_MAX || v->leaves.cnt == 0) {
		p->unavail = TT_GO_UNAVAIL_COMPOSITE;
		return 0;
	}
	p->avail = 1;
	for (size_t i = 0; i < v->leaves.cnt; i++) {
		const struct leaf *lf = &v->leaves.v[i];
		struct tt_go_piece *pc = &p->pieces[i];

		pc->name = lf->name[0] ? strdup(lf->name) : NULL;
		if (lf->name[0] && !pc->name)
			return -ENOMEM;
		pc->tt_kind = lf->tt_kind;
		pc->size = lf->size;
		pc->xreg = -1;
		if (p->on_stack) {
			pc->loc = TT_LOC_MEM;
			pc->reg = TT_REG_RSP;
			pc->disp = p->stack_off + (int32_t)lf->mem_off;
		} else if (lf->is_float) {
			pc->xreg = (int8_t)nfp++;
			pc->unavail = TT_GO_UNAVAIL_FLOAT_REG;
			p->avail = 0;
			p->unavail = TT_GO_UNAVAIL_FLOAT_REG;
		} else {
			pc->loc = TT_LOC_REG;
			pc->reg = abi_int_regs[ni++];
		}
	}
	p->piece_cnt = (uint8_t)v->leaves.cnt;
	return 0;
}

void tt_go_param_clear(struct tt_go_param *p)
{
	free(p->name);
	free(p->type_name);
	for (int i = 0; i < TT_GO_PIECES_MAX; i++)
		free(p->pieces[i].name);
}

/* Fill v (and v->p's name, type and kinds) from a formal parameter DIE, or a synthetic .dict. */
static int describe_value(struct abi_val *v, Dwarf_Die *param)
{
	struct tt_go_param *p = v->p;
	struct go_type t;
	Dwarf_Die type;
	const char *name = param ? dwarf_diename(param) : ".dict";

	p->name = strdup(name ? name : "?");
	if (!p->name)
		return -ENOMEM;
	if (!param) {
		/* the dictionary of a shape-instantiated generic function: one pointer */
		p->type_name = strdup("uintptr");
		if (!p->type_name)
			return -ENOMEM;
		p->go_kind = TT_GO_KIND_UINTPTR;
		p->tt_kind = TT_KIND_U64;
		p->size = PTR_SZ;
		v->align = PTR_SZ;
		v->understood = true;
		leaf_add(&v->leaves, false, PTR_SZ, TT_KIND_U64, 0, "");
		return 0;
	}
	if (!die_type(param, &type) || type_resolve(&type, &t)) {
		p->type_name = strdup("?");
		return p->type_name ? 0 : -ENOMEM;
	}
	p->type_name = strdup(t.name ? t.name : "?");
	if (!p->type_name)
		return -ENOMEM;
	p->go_kind = (uint8_t)go_kind_of(t.rkind);
	p->size = t.size;
	p->tt_kind = p->go_kind == TT_GO_KIND_STRING ? TT_KIND_BYTES
						      : scalar_tt_kind(p->go_kind, t.size);
	v->align = type_align(&type, 0);
	v->understood = v->align != 0 && collect_leaves(&type, 0, NULL, &v->leaves, 0) == 0;
	return 0;
}

static bool die_is_result(Dwarf_Die *d)
{
	Dwarf_Attribute a;
	bool flag = false;

	return dwarf_attr_integrate(d, DW_AT_variable_parameter, &a) && dwarf_formflag(&a, &flag) == 0 &&
	       flag;
}

/*
 * Parameters and results of fn from its DWARF subprogram, located by the ABIInternal
 * assignment. Go 1.19's DWARF lists the receiver first, then parameters, then results
 * (DW_AT_variable_parameter set), in declaration order; it omits unnamed and blank parameters
 * and the dictionary of generic code. The dictionary is added back (first, as the compiler passes
 * it); the rest is caught by comparing the frame size with the pclntab's.
 */
int tt_go_abi_locate(struct tt_go_func *fn, Dwarf_Die *sub, int64_t pcln_args)
{
	Dwarf_Die c;
	size_t n_par = 0, n_res = 0, i;
	bool has_dict = false, add_dict;
	struct abi_val *vals = NULL;
	unsigned ni = 0, nfp = 0;
	uint64_t s = 0;
	bool understood = true;
	int err = 0;

	if (dwarf_child(sub, &c) == 0) {
		do {
			if (dwarf_tag(&c) != DW_TAG_formal_parameter)
				continue;
			if (die_is_result(&c)) {
				n_res++;
			} else {
				const char *n = dwarf_diename(&c);

				n_par++;
				has_dict |= n && !strcmp(n, ".dict");
			}
		} while (dwarf_siblingof(&c, &c) == 0);
	}
	add_dict = !has_dict && strstr(fn->name, "[go.shape.") != NULL;
	n_par += add_dict;
	fn->sig_source = TT_GO_SIG_DWARF;
	fn->params = calloc(n_par ? n_par : 1, sizeof(*fn->params));
	fn->results = calloc(n_res ? n_res : 1, sizeof(*fn->results));
	vals = calloc(n_par + n_res + 1, sizeof(*vals));
	if (!fn->params || !fn->results || !vals) {
		err = -ENOMEM;
		goto cleanup;
	}
	size_t pi = 0, ri = 0;

	if (add_dict) {
		vals[pi].p = &fn->params[pi];
		err = describe_value(&vals[pi], NULL);
		fn->param_cnt = ++pi;
		if (err)
			goto cleanup;
	}
	if (dwarf_child(sub, &c) == 0) {
		do {
			if (dwarf_tag(&c) != DW_TAG_formal_parameter)
				continue;
			bool res = die_is_result(&c);
			struct abi_val *v = res ? &vals[n_par + ri] : &vals[pi];

			if (res && ri < n_res) {
				v->p = &fn->results[ri];
				v->p->is_result = 1;
				fn->result_cnt = ++ri;
			} else if (!res && pi < n_par) {
				v->p = &fn->params[pi];
				fn->param_cnt = ++pi;
			} else {
				continue;
			}
			err = describe_value(v, &c);
			if (err)
				goto cleanup;
			understood &= v->understood;
		} while (dwarf_siblingof(&c, &c) == 0);
	}

	/* abi-internal.md: receiver and arguments, pad, results (registers restart), pad, spill
	 * space of the register-assigned arguments, pad. */
	for (i = 0; i < fn->param_cnt; i++)
		abi_assign(&vals[i], &ni, &nfp, &s);
	s = align_up(s, PTR_SZ);
	ni = nfp = 0;
	for (i = 0; i < fn->result_cnt; i++)
		abi_assign(&vals[n_par + i], &ni, &nfp, &s);
	s = align_up(s, PTR_SZ);
	for (i = 0; i < fn->param_cnt; i++) {
		if (!vals[i].in_regs)
			continue;
		s = align_up(s, vals[i].align);
		s += vals[i].p->size;
	}
	s = align_up(s, PTR_SZ);
	fn->arg_frame_sz = (uint32_t)TT_MIN(s, UINT32_MAX);

	fn->pcln_args_sz = -1;
	if (pcln_args >= 0 && pcln_args <= INT32_MAX) {
		fn->pcln_args_sz = (int32_t)pcln_args;
		fn->sig_checked = 1;
	}
	fn->sig_ok = understood && (!fn->sig_checked || (uint64_t)fn->pcln_args_sz == s);

	for (i = 0; i < fn->param_cnt; i++) {
		err = make_pieces(&vals[i], fn->sig_ok);
		if (err)
			goto cleanup;
	}
	for (i = 0; i < fn->result_cnt; i++) {
		err = make_pieces(&vals[n_par + i], fn->sig_ok);
		if (err)
			goto cleanup;
	}
cleanup:
	free(vals);
	return err;
}

const char *tt_go_kind_str(enum tt_go_kind kind)
{
	static const char *const names[] = {
		[TT_GO_KIND_OTHER] = "other", [TT_GO_KIND_BOOL] = "bool", [TT_GO_KIND_INT] = "int",
		[TT_GO_KIND_UINT] = "uint", [TT_GO_KIND_UINTPTR] = "uintptr",
		[TT_GO_KIND_FLOAT] = "float", [TT_GO_KIND_COMPLEX] = "complex",
		[TT_GO_KIND_PTR] = "pointer", [TT_GO_KIND_MAP] = "map", [TT_GO_KIND_CHAN] = "chan",
		[TT_GO_KIND_FUNC] = "func", [TT_GO_KIND_STRING] = "string",
		[TT_GO_KIND_SLICE] = "slice", [TT_GO_KIND_INTERFACE] = "interface",
		[TT_GO_KIND_STRUCT] = "struct", [TT_GO_KIND_ARRAY] = "array",
	};

	if ((unsigned)kind >= TT_ARRAY_SIZE(names) || !names[kind])
		return "?";
	return names[kind];
}

const char *tt_go_unavail_str(enum tt_go_unavail why)
{
	switch (why) {
	case TT_GO_AVAIL: return "available";
	case TT_GO_UNAVAIL_FLOAT_REG: return "in a float register (not in pt_regs)";
	case TT_GO_UNAVAIL_COMPOSITE: return "composite value not decomposed";
	case TT_GO_UNAVAIL_SIGNATURE: return "DWARF signature incomplete";
	}
	return "?";
}
