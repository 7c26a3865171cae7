/* SPDX-License-Identifier: MIT */
/*
 * USDT discovery (see usdt_notes.h): the ELF file is read whole (mmap), checked by hand before
 * libelf sees it (64-bit little-endian executables and shared libraries only), and walked with
 * libelf for its program headers, sections and symbols. Notes are decoded from raw section bytes
 * with every length checked, because the files come from anywhere: a malformed note section is
 * a clear error, never a read out of bounds. Argument specs are parsed by a small hand-written
 * parser that accepts every x86-64 AT&T operand form found in real binaries.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_file.h" /* struct tt_elf_segs */
#include "tt_error.h"
#include "tt_util.h"
#include "usdt_notes.h"

#define NT_STAPSDT 3
#define NT_TRACETAPE 1
#define TRACETAPE_NOTE_VERSION 1
#define TT_NOTE_FIXED_SZ 18 /* u64 pc, u64 names, u8 version, u8 argc */
#define MAX_ARG_TOKEN 256   /* longest "-8@sym+off(%rip)" we accept */
#define MAX_NAME_LEN 255    /* longest argument name in a tracetape note */

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

static void set_msg(char *buf, size_t sz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_msg(char *buf, size_t sz, const char *fmt, ...)
{
	va_list ap;

	if (!buf || !sz)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
}

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
			set_msg(msg, msg_sz, "expected '+' or '-' in displacement");
			goto fail;
		}
		start = i;
		if (i < len && is_sym_start(s[i])) {
			while (i < len && is_sym_char(s[i]))
				i++;
			if (name) {
				set_msg(msg, msg_sz, "more than one symbol in displacement");
				goto fail;
			}
			if (neg) {
				set_msg(msg, msg_sz, "a symbol cannot be subtracted");
				goto fail;
			}
			name = strndup(s + start, i - start);
			if (!name) {
				set_msg(msg, msg_sz, "out of memory");
				goto fail;
			}
			/* sym@tpoff: a thread-local variable's offset from the thread pointer */
			if (i < len && s[i] == '@') {
				if (!tpoff || len - i < 6 || strncmp(s + i, "@tpoff", 6)) {
					set_msg(msg, msg_sz, "unsupported relocation '%.*s'", (int)(len - i),
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
				set_msg(msg, msg_sz, "bad number '%.*s' in displacement", (int)(i - start),
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
		set_msg(msg, msg_sz, "expected a register, got '%.*s'", (int)len, s);
		return -1;
	}
	r = find_reg(s + 1, len - 1);
	if (r < 0) {
		if (len > 4 && (!strncmp(s + 1, "xmm", 3) || !strncmp(s + 1, "ymm", 3) ||
				!strncmp(s + 1, "st", 2)))
			set_msg(msg, msg_sz, "floating-point register '%.*s' is not supported", (int)len, s);
		else
			set_msg(msg, msg_sz, "unknown register '%.*s'", (int)len, s);
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
		set_msg(msg, msg_sz, "segment '%.3s' is not supported (only %%fs)", s);
		return -TT_E_BAD_SPEC;
	}
	err = parse_disp(s, open ? (size_t)(open - s) : len, &arg->value, &arg->sym, &arg->tpoff,
			 msg, msg_sz);
	if (err)
		return err;
	if (arg->tpoff && !arg->fs) {
		set_msg(msg, msg_sz, "'@tpoff' outside a %%fs: operand");
		return -TT_E_BAD_SPEC;
	}
	arg->loc = TT_LOC_MEM;
	arg->scale = 1;
	if (!open) { /* absolute address (non-PIC code), or an offset from the thread pointer */
		if (!arg->sym && arg->value == 0 && !arg->fs) {
			set_msg(msg, msg_sz, "empty operand");
			return -TT_E_BAD_SPEC;
		}
		return 0;
	}
	if (s[len - 1] != ')') {
		set_msg(msg, msg_sz, "expected ')' at the end of the operand");
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
			set_msg(msg, msg_sz, "too many ',' in memory operand");
			return -TT_E_BAD_SPEC;
		}
	}
	if (part_len[0]) {
		r = parse_reg(parts[0], part_len[0], msg, msg_sz);
		if (r < 0)
			return -TT_E_BAD_SPEC;
		if (regs[r].width != 8) {
			set_msg(msg, msg_sz, "base register '%.*s' is not a 64-bit register", (int)part_len[0],
				parts[0]);
			return -TT_E_BAD_SPEC;
		}
		arg->base = regs[r].reg;
	}
	if (nparts >= 2) {
		if (part_len[1] == 0) {
			set_msg(msg, msg_sz, "missing index register");
			return -TT_E_BAD_SPEC;
		}
		r = parse_reg(parts[1], part_len[1], msg, msg_sz);
		if (r < 0)
			return -TT_E_BAD_SPEC;
		if (regs[r].width != 8 || regs[r].reg == TT_REG_RSP || regs[r].reg == TT_REG_RIP) {
			set_msg(msg, msg_sz, "'%.*s' cannot be an index register", (int)part_len[1], parts[1]);
			return -TT_E_BAD_SPEC;
		}
		arg->index = regs[r].reg;
	}
	if (nparts == 3) {
		uint64_t scale;

		if (parse_magnitude(parts[2], part_len[2], &scale) ||
		    (scale != 1 && scale != 2 && scale != 4 && scale != 8)) {
			set_msg(msg, msg_sz, "scale '%.*s' is not 1, 2, 4 or 8", (int)part_len[2], parts[2]);
			return -TT_E_BAD_SPEC;
		}
		arg->scale = (uint8_t)scale;
	}
	if (arg->base == TT_REG_NONE && arg->index == TT_REG_NONE) {
		set_msg(msg, msg_sz, "memory operand without a register");
		return -TT_E_BAD_SPEC;
	}
	if (arg->base == TT_REG_RIP && arg->fs) {
		set_msg(msg, msg_sz, "%%rip cannot be used with %%fs:");
		return -TT_E_BAD_SPEC;
	}
	if (arg->base == TT_REG_RIP) {
		if (arg->index != TT_REG_NONE) {
			set_msg(msg, msg_sz, "%%rip cannot have an index register");
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
		set_msg(msg, msg_sz, "size is not 1, 2, 4 or 8");
		return -TT_E_BAD_SPEC;
	}
	arg->size = (uint8_t)size;
	if (i < len && tok[i] == 'f') {
		arg->is_float = 1;
		i++;
		if (size != 4 && size != 8) {
			set_msg(msg, msg_sz, "a float must have size 4 or 8");
			return -TT_E_BAD_SPEC;
		}
	}
	if (i >= len || tok[i] != '@') {
		set_msg(msg, msg_sz, "expected '@' after the size");
		return -TT_E_BAD_SPEC;
	}
	op = tok + i + 1;
	op_len = len - i - 1;
	if (op_len == 0) {
		set_msg(msg, msg_sz, "empty operand");
		return -TT_E_BAD_SPEC;
	}
	if (op[0] == '%' && !(op_len > 4 && op[3] == ':')) { /* not a segment prefix (%fs:) */
		int r = parse_reg(op, op_len, msg, msg_sz);

		if (r < 0)
			return -TT_E_BAD_SPEC;
		if (regs[r].reg == TT_REG_RIP) {
			set_msg(msg, msg_sz, "%%rip is not a value");
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
			set_msg(msg, msg_sz, "bad immediate '%.*s'", (int)op_len, op);
			return -TT_E_BAD_SPEC;
		}
		if (neg && v > (uint64_t)INT64_MAX + 1) {
			set_msg(msg, msg_sz, "immediate '%.*s' out of range", (int)op_len, op);
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
			set_msg(errbuf, errbuf_sz, "more than %d arguments", TT_MAX_ARGS);
			err = -TT_E_BAD_SPEC;
			goto fail;
		}
		if (len > MAX_ARG_TOKEN) {
			set_msg(errbuf, errbuf_sz, "argument %u is longer than %d characters", n + 1,
				MAX_ARG_TOKEN);
			err = -TT_E_BAD_SPEC;
			goto fail;
		}
		err = parse_one(tok, len, &args[n], msg, sizeof(msg));
		if (err) {
			free(args[n].sym);
			args[n].sym = NULL;
			set_msg(errbuf, errbuf_sz, "argument %u '%.*s': %s", n + 1, (int)len, tok, msg);
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

/* ---------------------------------------------------------------------------------------- */
/* ELF                                                                                       */

struct tt_note_rec {
	uint64_t pc;        /* as written, before any .stapsdt.base adjustment */
	uint64_t names;     /* link-time address of the names, or 0 */
	uint8_t argc;
	const uint8_t *kinds;
};

struct ctx {
	const uint8_t *img;
	size_t img_sz;
	Elf *elf;
	struct tt_elf_segs segs; /* filesz cut to what the image holds; the TLS block's size */
	bool have_base;
	uint64_t base_addr;
	struct tt_note_rec *tnotes;
	size_t tnote_cnt, tnote_cap;
	uint64_t *raw_pcs; /* per site, for the join with tracetape notes */
	size_t site_cap;
	struct tt_usdt_file *file;
	char *errbuf;
	size_t errbuf_sz;
};

/* The file offset of vaddr if a PT_LOAD maps it from the file (not zero-filled memory). */
static bool vaddr_to_offset(const struct ctx *c, uint64_t vaddr, uint64_t *off)
{
	return tt_elf_segs_offset(&c->segs, vaddr, 1, off) == 0;
}

static void site_free(struct tt_usdt_site *s)
{
	free(s->provider);
	free(s->name);
	free(s->args_str);
	free(s->spec_msg);
	tt_usdt_args_free(s->args, s->argc);
	for (unsigned i = 0; i < TT_MAX_ARGS; i++)
		free(s->arg_names[i]);
}

void tt_usdt_file__free(struct tt_usdt_file *file)
{
	if (!file)
		return;
	for (size_t i = 0; i < file->site_cnt; i++)
		site_free(&file->sites[i]);
	free(file->sites);
	free(file->path);
	free(file->build_id);
	free(file);
}

/* A NUL-terminated string inside [p, end): its length, or -1. */
static ssize_t bounded_strlen(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *z = memchr(p, 0, (size_t)(end - p));

	return z ? (ssize_t)(z - p) : -1;
}

static int add_stapsdt(struct ctx *c, const uint8_t *desc, size_t desc_sz)
{
	const uint8_t *end = desc + desc_sz, *p;
	struct tt_usdt_file *f = c->file;
	struct tt_usdt_site *s;
	uint64_t pc, base, sema;
	ssize_t plen, nlen, alen;
	char msg[200];

	if (desc_sz < 3 * 8 + 2) {
		set_msg(c->errbuf, c->errbuf_sz, "a stapsdt note is %zu bytes long, too short", desc_sz);
		return -TT_E_BAD_ELF;
	}
	pc = tt_get_le64(desc);
	base = tt_get_le64(desc + 8);
	sema = tt_get_le64(desc + 16);
	p = desc + 24;
	plen = bounded_strlen(p, end);
	nlen = plen >= 0 ? bounded_strlen(p + plen + 1, end) : -1;
	if (plen <= 0 || nlen <= 0) {
		set_msg(c->errbuf, c->errbuf_sz, "a stapsdt note at pc 0x%llx has no provider or name",
			(unsigned long long)pc);
		return -TT_E_BAD_ELF;
	}
	/* The argument string may be missing altogether in old notes: no arguments. */
	alen = p + plen + 1 + nlen + 1 < end ? bounded_strlen(p + plen + 1 + nlen + 1, end) : 0;
	if (alen < 0) {
		set_msg(c->errbuf, c->errbuf_sz, "the arguments of stapsdt note %.*s:%.*s are not terminated",
			(int)plen, (const char *)p, (int)nlen, (const char *)(p + plen + 1));
		return -TT_E_BAD_ELF;
	}

	if (f->site_cnt == c->site_cap) {
		size_t cap = c->site_cap ? c->site_cap * 2 : 64;
		struct tt_usdt_site *ns = realloc(f->sites, cap * sizeof(*ns));
		uint64_t *np;

		if (!ns)
			return -ENOMEM;
		f->sites = ns;
		np = realloc(c->raw_pcs, cap * sizeof(*np));
		if (!np)
			return -ENOMEM;
		c->raw_pcs = np;
		c->site_cap = cap;
	}
	s = &f->sites[f->site_cnt];
	memset(s, 0, sizeof(*s));
	c->raw_pcs[f->site_cnt] = pc;
	f->site_cnt++;

	s->provider = strndup((const char *)p, (size_t)plen);
	s->name = strndup((const char *)(p + plen + 1), (size_t)nlen);
	s->args_str = alen > 0 ? strndup((const char *)(p + plen + 1 + nlen + 1), (size_t)alen)
			       : strdup("");
	if (!s->provider || !s->name || !s->args_str)
		return -ENOMEM;

	/* Prelink moved the file if .stapsdt.base is not where the note says: shift by as much. */
	if (c->have_base && base) {
		pc += c->base_addr - base;
		if (sema)
			sema += c->base_addr - base;
	}
	s->pc_vaddr = pc;
	s->sema_vaddr = sema;
	if (!vaddr_to_offset(c, pc, &s->pc_offset)) {
		s->spec_err = -TT_E_BAD_ELF;
		snprintf(msg, sizeof(msg), "pc 0x%llx is outside every loadable segment",
			 (unsigned long long)pc);
	} else if (sema && !vaddr_to_offset(c, sema, &s->sema_offset)) {
		s->spec_err = -TT_E_BAD_ELF;
		snprintf(msg, sizeof(msg), "semaphore 0x%llx is outside the file-backed segments",
			 (unsigned long long)sema);
	} else {
		s->spec_err = tt_usdt_parse_args(s->args_str, s->args, &s->argc, msg, sizeof(msg));
	}
	if (s->spec_err) {
		s->spec_msg = strdup(msg);
		if (!s->spec_msg)
			return -ENOMEM;
	}
	for (unsigned i = 0; i < s->argc; i++)
		s->kinds[i] = tt_usdt_arg_kind(&s->args[i]);
	return 0;
}

static int add_tracetape(struct ctx *c, const uint8_t *desc, size_t desc_sz)
{
	struct tt_note_rec *r;
	uint8_t argc;

	/* Unknown versions and short notes are skipped: a newer SDK must not break old readers. */
	if (desc_sz < TT_NOTE_FIXED_SZ || desc[16] != TRACETAPE_NOTE_VERSION)
		return 0;
	argc = desc[17];
	if (argc > TT_MAX_ARGS || desc_sz < (size_t)TT_NOTE_FIXED_SZ + argc)
		return 0;
	if (c->tnote_cnt == c->tnote_cap) {
		size_t cap = c->tnote_cap ? c->tnote_cap * 2 : 64;
		struct tt_note_rec *n = realloc(c->tnotes, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		c->tnotes = n;
		c->tnote_cap = cap;
	}
	r = &c->tnotes[c->tnote_cnt++];
	r->pc = tt_get_le64(desc);
	r->names = tt_get_le64(desc + 8);
	r->argc = argc;
	r->kinds = desc + TT_NOTE_FIXED_SZ;
	return 0;
}

static int set_build_id(struct ctx *c, const uint8_t *desc, size_t desc_sz)
{
	char *hex;

	if (c->file->build_id || desc_sz == 0 || desc_sz > 64)
		return 0;
	hex = malloc(desc_sz * 2 + 1);
	if (!hex)
		return -ENOMEM;
	for (size_t i = 0; i < desc_sz; i++)
		snprintf(hex + 2 * i, 3, "%02x", desc[i]);
	c->file->build_id = hex;
	return 0;
}

/*
 * Walk the notes of one SHT_NOTE section: namesz, descsz, type, then the name and the
 * descriptor, each padded to the section's alignment (4, or 8 for .note.gnu.property).
 * strict: a malformed note is an error (our sections) rather than the end of the walk.
 */
static int walk_notes(struct ctx *c, const uint8_t *data, size_t size, size_t align, bool strict,
		      const char *secname)
{
	size_t off = 0;
	int err;

	while (off < size) {
		uint32_t namesz, descsz, type;
		size_t name_pad, desc_pad;
		const uint8_t *name, *desc;

		if (size - off < 12)
			goto bad;
		namesz = tt_get_le32(data + off);
		descsz = tt_get_le32(data + off + 4);
		type = tt_get_le32(data + off + 8);
		off += 12;
		name_pad = ((size_t)namesz + align - 1) & ~(align - 1);
		desc_pad = ((size_t)descsz + align - 1) & ~(align - 1);
		if (name_pad > size - off)
			goto bad;
		name = data + off;
		off += name_pad;
		if (descsz > size - off)
			goto bad;
		desc = data + off;
		off += desc_pad < size - off ? desc_pad : size - off;

		if (namesz == 8 && !memcmp(name, "stapsdt", 8) && type == NT_STAPSDT)
			err = add_stapsdt(c, desc, descsz);
		else if (namesz == 10 && !memcmp(name, "tracetape", 10) && type == NT_TRACETAPE)
			err = add_tracetape(c, desc, descsz);
		else if (namesz == 4 && !memcmp(name, "GNU", 4) && type == NT_GNU_BUILD_ID)
			err = set_build_id(c, desc, descsz);
		else
			err = 0;
		if (err)
			return err;
	}
	return 0;
bad:
	if (!strict)
		return 0;
	set_msg(c->errbuf, c->errbuf_sz, "section %s: a note at offset %zu overruns the section",
		secname, off);
	return -TT_E_BAD_ELF;
}

static int cmp_tnote(const void *a, const void *b)
{
	const struct tt_note_rec *x = a, *y = b;

	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

/*
 * The argument names of a tracetape note: argc NUL-terminated strings at a link-time address.
 * Anything that does not map into the file, runs off its segment or holds unprintable bytes
 * means "no names" (the object may have been dropped by the linker or the note be foreign).
 */
static int read_names(const struct ctx *c, const struct tt_note_rec *r, struct tt_usdt_site *s)
{
	char *expr[TT_MAX_ARGS] = {0};
	const struct tt_elf_seg *seg;
	const uint8_t *p, *end;
	size_t i, readable = 0;

	seg = r->names ? tt_elf_seg_find(c->segs.v, c->segs.cnt, r->names, 1) : NULL;
	if (!seg)
		return 0;
	/* segments are cut to the image when parsed: the whole of seg lies inside it */
	p = c->img + (r->names - seg->vaddr + seg->offset);
	end = c->img + seg->offset + seg->filesz;

	for (i = 0; i < r->argc; i++) {
		ssize_t len = bounded_strlen(p, end);
		bool ok = len <= MAX_NAME_LEN;

		if (len < 0)
			return 0; /* runs past the segment: nothing here is a name list */
		for (ssize_t j = 0; ok && j < len; j++)
			ok = p[j] >= 0x20 && p[j] <= 0x7e;
		/* A long or non-ASCII expression (a string literal) names no column; the others do. */
		expr[i] = ok ? (char *)p : NULL;
		readable += ok;
		p += len + 1;
	}
	if (!readable)
		return 0; /* not argument expressions at all (the linker dropped the object) */
	for (i = 0; i < r->argc; i++) {
		char *name = expr[i] ? tt_usdt_column_name(expr[i]) : NULL;
		bool clash = !name;

		/* Column names must be unique and must not shadow another argument's argN. */
		for (size_t j = 0; name && j < i; j++)
			if (s->arg_names[j] && !strcmp(s->arg_names[j], name))
				clash = true;
		if (name && !strncmp(name, "arg", 3) && name[3]) {
			char want[8];

			snprintf(want, sizeof(want), "arg%zu", i);
			if (strspn(name + 3, "0123456789") == strlen(name + 3) && strcmp(name, want))
				clash = true;
		}
		if (clash) {
			free(name);
			continue;
		}
		s->arg_names[i] = name;
	}
	return 0;
}

static int join_types(struct ctx *c)
{
	struct tt_usdt_file *f = c->file;
	int err;

	if (!c->tnote_cnt)
		return 0;
	qsort(c->tnotes, c->tnote_cnt, sizeof(*c->tnotes), cmp_tnote);
	for (size_t i = 0; i < f->site_cnt; i++) {
		struct tt_usdt_site *s = &f->sites[i];
		struct tt_note_rec key = {.pc = c->raw_pcs[i]};
		const struct tt_note_rec *r;

		r = bsearch(&key, c->tnotes, c->tnote_cnt, sizeof(key), cmp_tnote);
		if (!r || s->spec_err || r->argc != s->argc)
			continue;
		s->has_types = 1;
		memcpy(s->kinds, r->kinds, r->argc);
		err = read_names(c, r, s);
		if (err)
			return err;
	}
	return 0;
}

/* ---- symbols of symbolic operands ---- */

struct want {
	const char *name;
	struct tt_usdt_arg *arg;
	int state;       /* 0 unknown, 1 found, 2 ambiguous */
	bool settled;    /* decided by .symtab: .dynsym does not change it */
	bool global;
	uint64_t value;
};

static int cmp_want(const void *a, const void *b)
{
	return strcmp(((const struct want *)a)->name, ((const struct want *)b)->name);
}

static void scan_symtab(struct ctx *c, Elf_Scn *scn, const GElf_Shdr *sh, struct want *w, size_t n)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t cnt;

	if (!data || !sh->sh_entsize)
		return;
	cnt = sh->sh_size / sh->sh_entsize;
	for (size_t i = 1; i < cnt; i++) {
		GElf_Sym sym;
		const char *name;
		struct want key, *hit;

		if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
		    GELF_ST_TYPE(sym.st_info) == STT_SECTION || GELF_ST_TYPE(sym.st_info) == STT_FILE)
			continue;
		name = elf_strptr(c->elf, sh->sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		key.name = name;
		hit = bsearch(&key, w, n, sizeof(*w), cmp_want);
		if (!hit)
			continue;
		while (hit > w && !strcmp(hit[-1].name, name))
			hit--;
		for (; hit < w + n && !strcmp(hit->name, name); hit++) {
			bool global = GELF_ST_BIND(sym.st_info) != STB_LOCAL;

			/* sym@tpoff names a thread-local variable, any other operand an address */
			if (hit->settled || (GELF_ST_TYPE(sym.st_info) == STT_TLS) != hit->arg->tpoff)
				continue;
			if (hit->state == 0 || (global && !hit->global)) {
				hit->state = 1;
				hit->global = global;
				hit->value = sym.st_value;
			} else if (!global && !hit->global && hit->value != sym.st_value) {
				hit->state = 2; /* two static variables of that name */
			}
		}
	}
}

/* Resolve every symbolic operand against .symtab, then .dynsym for what .symtab lacks. */
static int resolve_symbols(struct ctx *c)
{
	struct tt_usdt_file *f = c->file;
	struct want *w = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < f->site_cnt; i++)
		for (unsigned a = 0; a < f->sites[i].argc; a++) {
			struct tt_usdt_arg *arg = &f->sites[i].args[a];

			if (!arg->sym)
				continue;
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				struct want *nw = realloc(w, nc * sizeof(*nw));

				if (!nw) {
					free(w);
					return -ENOMEM;
				}
				w = nw;
				cap = nc;
			}
			w[n++] = (struct want){.name = arg->sym, .arg = arg};
		}
	if (!n)
		return 0;
	qsort(w, n, sizeof(*w), cmp_want);
	for (int pass = 0; pass < 2; pass++) {
		Elf_Scn *scn = NULL;
		Elf64_Word want_type = pass == 0 ? SHT_SYMTAB : SHT_DYNSYM;

		while ((scn = elf_nextscn(c->elf, scn))) {
			GElf_Shdr sh;

			if (gelf_getshdr(scn, &sh) && sh.sh_type == want_type)
				scan_symtab(c, scn, &sh, w, n);
		}
		for (size_t i = 0; i < n; i++) /* .dynsym only for what .symtab did not settle */
			w[i].settled = w[i].state != 0;
	}
	for (size_t i = 0; i < n; i++) {
		struct tt_usdt_arg *arg = w[i].arg;

		if (w[i].state != 1 || (arg->tpoff && !c->segs.tls_size))
			continue;
		arg->sym_found = 1;
		arg->sym_vaddr = w[i].value + (uint64_t)arg->value;
		/* sym@tpoff: its offset in the TLS image, minus the block's size */
		if (arg->tpoff)
			arg->sym_vaddr -= c->segs.tls_size;
	}
	free(w);
	return 0;
}

static int parse_image(struct ctx *c)
{
	const uint8_t *img = c->img;
	GElf_Ehdr eh;
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	int err;

	if (c->img_sz < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG)) {
		set_msg(c->errbuf, c->errbuf_sz, "not an ELF file");
		return -TT_E_NOT_ELF;
	}
	if (img[EI_CLASS] != ELFCLASS64 || img[EI_DATA] != ELFDATA2LSB) {
		set_msg(c->errbuf, c->errbuf_sz, "only 64-bit little-endian ELF files are supported");
		return -TT_E_BAD_ELF;
	}
	if (c->img_sz < sizeof(Elf64_Ehdr)) {
		set_msg(c->errbuf, c->errbuf_sz, "truncated ELF header");
		return -TT_E_BAD_ELF;
	}
	elf_version(EV_CURRENT);
	c->elf = elf_memory((char *)img, c->img_sz);
	if (!c->elf || elf_kind(c->elf) != ELF_K_ELF || !gelf_getehdr(c->elf, &eh)) {
		set_msg(c->errbuf, c->errbuf_sz, "malformed ELF file: %s", elf_errmsg(-1));
		return -TT_E_BAD_ELF;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		set_msg(c->errbuf, c->errbuf_sz, "not an executable or shared library (ELF type %u)",
			(unsigned)eh.e_type);
		return -TT_E_BAD_ELF;
	}
	c->file->e_type = eh.e_type;
	if (elf_getshdrstrndx(c->elf, &shstrndx)) {
		set_msg(c->errbuf, c->errbuf_sz, "malformed ELF headers: %s", elf_errmsg(-1));
		return -TT_E_BAD_ELF;
	}
	/* A segment claiming bytes beyond the file maps only what the file holds. */
	err = tt_elf_segs_load(c->elf, c->img_sz, &c->segs);
	if (err == -TT_E_BAD_ELF)
		set_msg(c->errbuf, c->errbuf_sz, "malformed program headers: %s", elf_errmsg(-1));
	if (err)
		return err;
	/* First .stapsdt.base (needed by the notes), then the notes, in section order. */
	while ((scn = elf_nextscn(c->elf, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(c->elf, shstrndx, sh.sh_name);
		if (name && !strcmp(name, ".stapsdt.base") && sh.sh_type != SHT_NOBITS) {
			c->have_base = true;
			c->base_addr = sh.sh_addr;
		}
	}
	while ((scn = elf_nextscn(c->elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		bool ours;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		name = elf_strptr(c->elf, shstrndx, sh.sh_name);
		if (!name)
			name = "?";
		ours = !strcmp(name, ".note.stapsdt") || !strcmp(name, ".note.tracetape");
		if (sh.sh_offset > c->img_sz || sh.sh_size > c->img_sz - sh.sh_offset) {
			if (!ours)
				continue;
			set_msg(c->errbuf, c->errbuf_sz, "section %s lies outside the file", name);
			return -TT_E_BAD_ELF;
		}
		err = walk_notes(c, img + sh.sh_offset, sh.sh_size, sh.sh_addralign == 8 ? 8 : 4, ours,
				 name);
		if (err)
			return err;
	}
	err = join_types(c);
	if (err)
		return err;
	return resolve_symbols(c);
}

static int open_image(const uint8_t *img, size_t img_sz, const char *path, struct tt_usdt_file **file,
		      char *errbuf, size_t errbuf_sz)
{
	struct ctx c = {.img = img, .img_sz = img_sz, .errbuf = errbuf, .errbuf_sz = errbuf_sz};
	int err;

	*file = NULL;
	c.file = calloc(1, sizeof(*c.file));
	if (!c.file)
		return -ENOMEM;
	c.file->path = strdup(path);
	if (!c.file->path) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = parse_image(&c);
	if (err == -ENOMEM)
		set_msg(errbuf, errbuf_sz, "out of memory");
	if (!err) {
		*file = c.file;
		c.file = NULL;
	}
cleanup:
	if (c.elf)
		elf_end(c.elf);
	tt_elf_segs_free(&c.segs);
	free(c.tnotes);
	free(c.raw_pcs);
	tt_usdt_file__free(c.file);
	return err;
}

int tt_usdt_file__open_mem(const void *image, size_t image_sz, const char *path,
			   struct tt_usdt_file **file, char *errbuf, size_t errbuf_sz)
{
	uint8_t *copy;
	int err;

	/* libelf wants a writable image; a private copy keeps the caller's buffer untouched. */
	copy = malloc(image_sz ? image_sz : 1);
	if (!copy) {
		set_msg(errbuf, errbuf_sz, "out of memory");
		*file = NULL;
		return -ENOMEM;
	}
	memcpy(copy, image, image_sz);
	err = open_image(copy, image_sz, path, file, errbuf, errbuf_sz);
	free(copy);
	return err;
}

int tt_usdt_file__open(const char *path, struct tt_usdt_file **file, char *errbuf, size_t errbuf_sz)
{
	void *map = MAP_FAILED;
	struct stat st;
	int fd, err;

	*file = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		set_msg(errbuf, errbuf_sz, "%s", strerror(-err));
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		set_msg(errbuf, errbuf_sz, "%s", strerror(-err));
		goto cleanup;
	}
	if (!S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? -EISDIR : -TT_E_NOT_ELF;
		set_msg(errbuf, errbuf_sz, "%s", S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file");
		goto cleanup;
	}
	if (st.st_size < EI_NIDENT) {
		err = -TT_E_NOT_ELF;
		set_msg(errbuf, errbuf_sz, "not an ELF file");
		goto cleanup;
	}
	/* Private and writable: libelf may touch the image; the file never changes. */
	map = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		err = -errno;
		set_msg(errbuf, errbuf_sz, "mmap: %s", strerror(-err));
		goto cleanup;
	}
	err = open_image(map, (size_t)st.st_size, path, file, errbuf, errbuf_sz);
cleanup:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	close(fd);
	return err;
}
