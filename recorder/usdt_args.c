/* SPDX-License-Identifier: MIT */
/*
 * USDT argument specs and argument names (see usdt_args.h): a hand-written parser over one
 * token at a time, with every length, number and register checked; a message names the token
 * and what was wrong with it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tt_error.h"
#include "tt_util.h"
#include "usdt_args.h"

#define MAX_ARG_TOKEN 256   /* longest "-8@sym+off(%rip)" we accept */

/* ---------------------------------------------------------------------------------------- */
/* Registers                                                                                 */

static const struct {
	char name[6];
	uint8_t reg;
	uint8_t width; /* bytes */
	uint8_t shift; /* bit position of the value: 8 for the legacy high-byte registers */
} regs[] = {
	{"rax", TT_REG_RAX, 8, 0}, {"eax", TT_REG_RAX, 4, 0}, {"ax", TT_REG_RAX, 2, 0},
	{"al", TT_REG_RAX, 1, 0},  {"ah", TT_REG_RAX, 1, 8},
	{"rbx", TT_REG_RBX, 8, 0}, {"ebx", TT_REG_RBX, 4, 0}, {"bx", TT_REG_RBX, 2, 0},
	{"bl", TT_REG_RBX, 1, 0},  {"bh", TT_REG_RBX, 1, 8},
	{"rcx", TT_REG_RCX, 8, 0}, {"ecx", TT_REG_RCX, 4, 0}, {"cx", TT_REG_RCX, 2, 0},
	{"cl", TT_REG_RCX, 1, 0},  {"ch", TT_REG_RCX, 1, 8},
	{"rdx", TT_REG_RDX, 8, 0}, {"edx", TT_REG_RDX, 4, 0}, {"dx", TT_REG_RDX, 2, 0},
	{"dl", TT_REG_RDX, 1, 0},  {"dh", TT_REG_RDX, 1, 8},
	{"rsi", TT_REG_RSI, 8, 0}, {"esi", TT_REG_RSI, 4, 0}, {"si", TT_REG_RSI, 2, 0},
	{"sil", TT_REG_RSI, 1, 0},
	{"rdi", TT_REG_RDI, 8, 0}, {"edi", TT_REG_RDI, 4, 0}, {"di", TT_REG_RDI, 2, 0},
	{"dil", TT_REG_RDI, 1, 0},
	{"rbp", TT_REG_RBP, 8, 0}, {"ebp", TT_REG_RBP, 4, 0}, {"bp", TT_REG_RBP, 2, 0},
	{"bpl", TT_REG_RBP, 1, 0},
	{"rsp", TT_REG_RSP, 8, 0}, {"esp", TT_REG_RSP, 4, 0}, {"sp", TT_REG_RSP, 2, 0},
	{"spl", TT_REG_RSP, 1, 0},
	{"r8", TT_REG_R8, 8, 0},   {"r8d", TT_REG_R8, 4, 0},  {"r8w", TT_REG_R8, 2, 0},
	{"r8b", TT_REG_R8, 1, 0},  {"r8l", TT_REG_R8, 1, 0},
	{"r9", TT_REG_R9, 8, 0},   {"r9d", TT_REG_R9, 4, 0},  {"r9w", TT_REG_R9, 2, 0},
	{"r9b", TT_REG_R9, 1, 0},  {"r9l", TT_REG_R9, 1, 0},
	{"r10", TT_REG_R10, 8, 0}, {"r10d", TT_REG_R10, 4, 0}, {"r10w", TT_REG_R10, 2, 0},
	{"r10b", TT_REG_R10, 1, 0}, {"r10l", TT_REG_R10, 1, 0},
	{"r11", TT_REG_R11, 8, 0}, {"r11d", TT_REG_R11, 4, 0}, {"r11w", TT_REG_R11, 2, 0},
	{"r11b", TT_REG_R11, 1, 0}, {"r11l", TT_REG_R11, 1, 0},
	{"r12", TT_REG_R12, 8, 0}, {"r12d", TT_REG_R12, 4, 0}, {"r12w", TT_REG_R12, 2, 0},
	{"r12b", TT_REG_R12, 1, 0}, {"r12l", TT_REG_R12, 1, 0},
	{"r13", TT_REG_R13, 8, 0}, {"r13d", TT_REG_R13, 4, 0}, {"r13w", TT_REG_R13, 2, 0},
	{"r13b", TT_REG_R13, 1, 0}, {"r13l", TT_REG_R13, 1, 0},
	{"r14", TT_REG_R14, 8, 0}, {"r14d", TT_REG_R14, 4, 0}, {"r14w", TT_REG_R14, 2, 0},
	{"r14b", TT_REG_R14, 1, 0}, {"r14l", TT_REG_R14, 1, 0},
	{"r15", TT_REG_R15, 8, 0}, {"r15d", TT_REG_R15, 4, 0}, {"r15w", TT_REG_R15, 2, 0},
	{"r15b", TT_REG_R15, 1, 0}, {"r15l", TT_REG_R15, 1, 0},
	{"rip", TT_REG_RIP, 8, 0}, {"eip", TT_REG_RIP, 4, 0},
};

static const char *const reg_names[TT_REG_CNT] = {
	[TT_REG_NONE] = "none", [TT_REG_RAX] = "rax", [TT_REG_RBX] = "rbx", [TT_REG_RCX] = "rcx",
	[TT_REG_RDX] = "rdx",   [TT_REG_RSI] = "rsi", [TT_REG_RDI] = "rdi", [TT_REG_RBP] = "rbp",
	[TT_REG_RSP] = "rsp",   [TT_REG_R8] = "r8",   [TT_REG_R9] = "r9",   [TT_REG_R10] = "r10",
	[TT_REG_R11] = "r11",   [TT_REG_R12] = "r12", [TT_REG_R13] = "r13", [TT_REG_R14] = "r14",
	[TT_REG_R15] = "r15",   [TT_REG_RIP] = "rip",
};

const char *tt_reg_name(unsigned reg)
{
	return reg < TT_REG_CNT ? reg_names[reg] : "?";
}

static int find_reg(const char *name, size_t len)
{
	for (size_t i = 0; i < TT_ARRAY_SIZE(regs); i++)
		if (strlen(regs[i].name) == len && !memcmp(regs[i].name, name, len))
			return (int)i;
	return -1;
}

/* ---------------------------------------------------------------------------------------- */
/* Argument specs                                                                            */

/* A decimal or 0x-hex magnitude at s[0..len); 0 or -ERANGE/-EINVAL. */
static int parse_magnitude(const char *s, size_t len, uint64_t *v)
{
	unsigned base = 10;
	uint64_t r = 0;
	size_t i = 0;

	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return -EINVAL;
	for (; i < len; i++) {
		unsigned d;
		char c = s[i];

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		if (__builtin_mul_overflow(r, base, &r) || __builtin_add_overflow(r, d, &r))
			return -ERANGE;
	}
	*v = r;
	return 0;
}

static bool is_sym_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.';
}

static bool is_sym_char(char c)
{
	return is_sym_start(c) || (c >= '0' && c <= '9');
}

/*
 * A displacement: terms joined by '+' and '-', each a number or a symbol, with at most one
 * symbol, which must be added ("sym", "sym+8", "sym-8", "40+sym", "-8", "0x10"). The numbers
 * are summed modulo 2^64 as the assembler does. *sym (malloc'd) is set when a symbol is present.
 */
static int parse_disp(const char *s, size_t len, int64_t *disp, char **sym, uint8_t *tpoff,
		      char *msg, size_t msg_sz)
{
	uint64_t sum = 0;
	size_t i = 0;
	char *name = NULL;

	*sym = NULL;
	*disp = 0;
	if (len == 0)
		return 0;
	while (i < len) {
		bool neg = false;
		size_t start;

		if (s[i] == '+' || s[i] == '-') {
			neg = s[i] == '-';
			i++;
		} else if (i > 0) {
			tt_msgf(msg, msg_sz, "expected '+' or '-' in displacement");
			goto fail;
		}
		start = i;
		if (i < len && is_sym_start(s[i])) {
			while (i < len && is_sym_char(s[i]))
				i++;
			if (name) {
				tt_msgf(msg, msg_sz, "more than one symbol in displacement");
				goto fail;
			}
			if (neg) {
				tt_msgf(msg, msg_sz, "a symbol cannot be subtracted");
				goto fail;
			}
			name = strndup(s + start, i - start);
			if (!name) {
				tt_msgf(msg, msg_sz, "out of memory");
				goto fail;
			}
			/* sym@tpoff: a thread-local variable's offset from the thread pointer */
			if (i < len && s[i] == '@') {
				if (!tpoff || len - i < 6 || strncmp(s + i, "@tpoff", 6)) {
					tt_msgf(msg, msg_sz, "unsupported relocation '%.*s'", (int)(len - i),
						s + i);
					goto fail;
				}
				*tpoff = 1;
				i += 6;
			}
		} else {
			uint64_t v;

			while (i < len && ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
					   (s[i] >= 'A' && s[i] <= 'F') || s[i] == 'x' || s[i] == 'X'))
				i++;
			if (parse_magnitude(s + start, i - start, &v)) {
				tt_msgf(msg, msg_sz, "bad number '%.*s' in displacement", (int)(i - start),
					s + start);
				goto fail;
			}
			sum = neg ? sum - v : sum + v;
		}
	}
	*disp = (int64_t)sum;
	*sym = name;
	return 0;
fail:
	free(name);
	return -TT_E_BAD_SPEC;
}

/* "%reg" at s[0..len): the index into regs[], or -1 with msg set. */
static int parse_reg(const char *s, size_t len, char *msg, size_t msg_sz)
{
	int r;

	if (len < 2 || s[0] != '%') {
		tt_msgf(msg, msg_sz, "expected a register, got '%.*s'", (int)len, s);
		return -1;
	}
	r = find_reg(s + 1, len - 1);
	if (r < 0) {
		if (len > 4 && (!strncmp(s + 1, "xmm", 3) || !strncmp(s + 1, "ymm", 3) ||
				!strncmp(s + 1, "st", 2)))
			tt_msgf(msg, msg_sz, "floating-point register '%.*s' is not supported", (int)len, s);
		else
			tt_msgf(msg, msg_sz, "unknown register '%.*s'", (int)len, s);
	}
	return r;
}

/* A memory operand "disp(base,index,scale)", "(,index,scale)", "sym(%rip)" or a bare "disp". */
static int parse_mem(const char *s, size_t len, struct tt_usdt_arg *arg, char *msg, size_t msg_sz)
{
	const char *open = memchr(s, '(', len);
	const char *parts[3];
	size_t part_len[3], nparts = 0;
	const char *p, *end;
	int err, r;

	/* "%fs:..." addresses thread-local storage: relative to the thread pointer. */
	if (len > 4 && !strncmp(s, "%fs:", 4)) {
		arg->fs = 1;
		s += 4;
		len -= 4;
	} else if (len > 4 && s[0] == '%' && s[3] == ':') {
		tt_msgf(msg, msg_sz, "segment '%.3s' is not supported (only %%fs)", s);
		return -TT_E_BAD_SPEC;
	}
	err = parse_disp(s, open ? (size_t)(open - s) : len, &arg->value, &arg->sym, &arg->tpoff,
			 msg, msg_sz);
	if (err)
		return err;
	if (arg->tpoff && !arg->fs) {
		tt_msgf(msg, msg_sz, "'@tpoff' outside a %%fs: operand");
		return -TT_E_BAD_SPEC;
	}
	arg->loc = TT_LOC_MEM;
	arg->scale = 1;
	if (!open) { /* absolute address (non-PIC code), or an offset from the thread pointer */
		if (!arg->sym && arg->value == 0 && !arg->fs) {
			tt_msgf(msg, msg_sz, "empty operand");
			return -TT_E_BAD_SPEC;
		}
		return 0;
	}
	if (s[len - 1] != ')') {
		tt_msgf(msg, msg_sz, "expected ')' at the end of the operand");
		return -TT_E_BAD_SPEC;
	}
	p = open + 1;
	end = s + len - 1;
	while (nparts < 3) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;

		parts[nparts] = p;
		part_len[nparts] = (size_t)(stop - p);
		nparts++;
		if (!comma)
			break;
		p = comma + 1;
		if (nparts == 3) {
			tt_msgf(msg, msg_sz, "too many ',' in memory operand");
			return -TT_E_BAD_SPEC;
		}
	}
	if (part_len[0]) {
		r = parse_reg(parts[0], part_len[0], msg, msg_sz);
		if (r < 0)
			return -TT_E_BAD_SPEC;
		if (regs[r].width != 8) {
			tt_msgf(msg, msg_sz, "base register '%.*s' is not a 64-bit register", (int)part_len[0],
				parts[0]);
			return -TT_E_BAD_SPEC;
		}
		arg->base = regs[r].reg;
	}
	if (nparts >= 2) {
		if (part_len[1] == 0) {
			tt_msgf(msg, msg_sz, "missing index register");
			return -TT_E_BAD_SPEC;
		}
		r = parse_reg(parts[1], part_len[1], msg, msg_sz);
		if (r < 0)
			return -TT_E_BAD_SPEC;
		if (regs[r].width != 8 || regs[r].reg == TT_REG_RSP || regs[r].reg == TT_REG_RIP) {
			tt_msgf(msg, msg_sz, "'%.*s' cannot be an index register", (int)part_len[1], parts[1]);
			return -TT_E_BAD_SPEC;
		}
		arg->index = regs[r].reg;
	}
	if (nparts == 3) {
		uint64_t scale;

		if (parse_magnitude(parts[2], part_len[2], &scale) ||
		    (scale != 1 && scale != 2 && scale != 4 && scale != 8)) {
			tt_msgf(msg, msg_sz, "scale '%.*s' is not 1, 2, 4 or 8", (int)part_len[2], parts[2]);
			return -TT_E_BAD_SPEC;
		}
		arg->scale = (uint8_t)scale;
	}
	if (arg->base == TT_REG_NONE && arg->index == TT_REG_NONE) {
		tt_msgf(msg, msg_sz, "memory operand without a register");
		return -TT_E_BAD_SPEC;
	}
	if (arg->base == TT_REG_RIP && arg->fs) {
		tt_msgf(msg, msg_sz, "%%rip cannot be used with %%fs:");
		return -TT_E_BAD_SPEC;
	}
	if (arg->base == TT_REG_RIP) {
		if (arg->index != TT_REG_NONE) {
			tt_msgf(msg, msg_sz, "%%rip cannot have an index register");
			return -TT_E_BAD_SPEC;
		}
		if (arg->sym)
			arg->loc = TT_LOC_RIP_SYM;
	}
	return 0;
}

/* One "[-]SIZE[f]@OPERAND" token. */
static int parse_one(const char *tok, size_t len, struct tt_usdt_arg *arg, char *msg, size_t msg_sz)
{
	size_t i = 0;
	unsigned size = 0;
	const char *op;
	size_t op_len;

	memset(arg, 0, sizeof(*arg));
	arg->scale = 1;
	if (i < len && tok[i] == '-') {
		arg->is_signed = 1;
		i++;
	}
	while (i < len && tok[i] >= '0' && tok[i] <= '9' && size < 100)
		size = size * 10 + (unsigned)(tok[i++] - '0');
	if (size != 1 && size != 2 && size != 4 && size != 8) {
		tt_msgf(msg, msg_sz, "size is not 1, 2, 4 or 8");
		return -TT_E_BAD_SPEC;
	}
	arg->size = (uint8_t)size;
	if (i < len && tok[i] == 'f') {
		arg->is_float = 1;
		i++;
		if (size != 4 && size != 8) {
			tt_msgf(msg, msg_sz, "a float must have size 4 or 8");
			return -TT_E_BAD_SPEC;
		}
	}
	if (i >= len || tok[i] != '@') {
		tt_msgf(msg, msg_sz, "expected '@' after the size");
		return -TT_E_BAD_SPEC;
	}
	op = tok + i + 1;
	op_len = len - i - 1;
	if (op_len == 0) {
		tt_msgf(msg, msg_sz, "empty operand");
		return -TT_E_BAD_SPEC;
	}
	if (op[0] == '%' && !(op_len > 4 && op[3] == ':')) { /* not a segment prefix (%fs:) */
		int r = parse_reg(op, op_len, msg, msg_sz);

		if (r < 0)
			return -TT_E_BAD_SPEC;
		if (regs[r].reg == TT_REG_RIP) {
			tt_msgf(msg, msg_sz, "%%rip is not a value");
			return -TT_E_BAD_SPEC;
		}
		arg->loc = TT_LOC_REG;
		arg->base = regs[r].reg;
		arg->reg_shift = regs[r].shift;
		return 0;
	}
	if (op[0] == '$' && op_len > 1 && (is_sym_start(op[1]) || memchr(op, '+', op_len))) {
		/* "$sym", "$sym+8", "$8+sym": a symbol's address, in code that is not PIC */
		int err = parse_disp(op + 1, op_len - 1, &arg->value, &arg->sym, NULL, msg, msg_sz);

		if (err)
			return err;
		if (arg->sym) {
			arg->loc = TT_LOC_SYM_ADDR;
			return 0;
		}
		free(arg->sym);
		arg->sym = NULL; /* "$+8": a number after all */
	}
	if (op[0] == '$') {
		bool neg = false;
		size_t j = 1;
		uint64_t v;

		if (j < op_len && (op[j] == '-' || op[j] == '+'))
			neg = op[j++] == '-';
		if (parse_magnitude(op + j, op_len - j, &v)) {
			tt_msgf(msg, msg_sz, "bad immediate '%.*s'", (int)op_len, op);
			return -TT_E_BAD_SPEC;
		}
		if (neg && v > (uint64_t)INT64_MAX + 1) {
			tt_msgf(msg, msg_sz, "immediate '%.*s' out of range", (int)op_len, op);
			return -TT_E_BAD_SPEC;
		}
		arg->loc = TT_LOC_CONST;
		arg->value = (int64_t)(neg ? 0 - v : v); /* two's complement, as the assembler */
		return 0;
	}
	return parse_mem(op, op_len, arg, msg, msg_sz);
}

void tt_usdt_args_free(struct tt_usdt_arg *args, uint8_t argc)
{
	if (!args)
		return;
	for (unsigned i = 0; i < argc && i < TT_MAX_ARGS; i++) {
		free(args[i].sym);
		args[i].sym = NULL;
	}
}

int tt_usdt_parse_args(const char *str, struct tt_usdt_arg args[TT_MAX_ARGS], uint8_t *argc,
		       char *errbuf, size_t errbuf_sz)
{
	char msg[160];
	uint8_t n = 0;
	const char *p = str;
	int err;

	memset(args, 0, sizeof(*args) * TT_MAX_ARGS);
	*argc = 0;
	for (;;) {
		const char *tok;
		size_t len;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		tok = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		len = (size_t)(p - tok);
		if (n == TT_MAX_ARGS) {
			tt_msgf(errbuf, errbuf_sz, "more than %d arguments", TT_MAX_ARGS);
			err = -TT_E_BAD_SPEC;
			goto fail;
		}
		if (len > MAX_ARG_TOKEN) {
			tt_msgf(errbuf, errbuf_sz, "argument %u is longer than %d characters", n + 1,
				MAX_ARG_TOKEN);
			err = -TT_E_BAD_SPEC;
			goto fail;
		}
		err = parse_one(tok, len, &args[n], msg, sizeof(msg));
		if (err) {
			free(args[n].sym);
			args[n].sym = NULL;
			tt_msgf(errbuf, errbuf_sz, "argument %u '%.*s': %s", n + 1, (int)len, tok, msg);
			goto fail;
		}
		n++;
	}
	*argc = n;
	return 0;
fail:
	tt_usdt_args_free(args, n);
	memset(args, 0, sizeof(*args) * TT_MAX_ARGS);
	return err;
}

uint8_t tt_usdt_arg_kind(const struct tt_usdt_arg *arg)
{
	if (arg->is_float)
		return TT_KIND(TT_CLASS_FLOAT, arg->size);
	if (arg->is_signed)
		return TT_KIND(TT_CLASS_SINT, arg->size);
	return TT_KIND(TT_CLASS_UNKNOWN, arg->size);
}

/* ---------------------------------------------------------------------------------------- */
/* Argument names                                                                            */

static bool is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static bool is_ident(const char *s, size_t len)
{
	if (len == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || s[i] == '_' ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

char *tt_usdt_column_name(const char *expr)
{
	size_t len = strlen(expr), start, i;

	while (len && expr[len - 1] == ' ')
		len--;
	while (len && *expr == ' ') {
		expr++;
		len--;
	}
	if (is_ident(expr, len))
		return strndup(expr, len);
	/* A member access: the identifier after the last "." or "->". */
	start = len;
	while (start > 0 && is_ident_char(expr[start - 1]))
		start--;
	if (start == len || start == 0 || !is_ident(expr + start, len - start))
		return NULL;
	if (expr[start - 1] != '.' && !(start >= 2 && expr[start - 2] == '-' && expr[start - 1] == '>'))
		return NULL;
	/* What comes before may only be identifiers, member accesses and subscripts. */
	for (i = 0; i < start; i++) {
		char c = expr[i];

		if (c == '-' && i + 1 < start && expr[i + 1] == '>') {
			i++;
			continue;
		}
		if (!(is_ident(&c, 1) || (c >= '0' && c <= '9') || c == '.' || c == '[' || c == ']' ||
		      c == ' '))
			return NULL;
	}
	if (expr[0] == '.' || (expr[0] >= '0' && expr[0] <= '9'))
		return NULL;
	return strndup(expr + start, len - start);
}
