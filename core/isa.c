#include "isa.h"

const struct pvm_op_info pvm_ops[PVM_OP_COUNT] = {
#define ROW(op, name, args, flags, width, gp07, gp08) \
	[PVM_OP_##op] = {name, PVM_ARGS_##args, flags, width, {gp07, gp08}},
	PVM_INSTRUCTIONS(ROW)
#undef ROW
};

void pvm_opcode_map_init(struct pvm_opcode_map *map, enum pvm_isa isa)
{
	map->isa = isa;
	for (int byte = 0; byte < 256; byte++) {
		map->op_of_byte[byte] = PVM_OP_TRAP;
		map->valid[byte] = false;
	}
	for (int op = 0; op < PVM_OP_COUNT; op++) {
		uint16_t byte = pvm_ops[op].opcode[isa];
		if (byte == PVM_NO_OPCODE)
			continue;
		map->op_of_byte[byte] = (uint8_t)op;
		map->valid[byte] = true;
	}
}

static const char *const isa_names[PVM_ISA_COUNT] = {
	[PVM_ISA_GP07] = "gp0.7",
	[PVM_ISA_GP08] = "gp0.8",
};

const char *pvm_isa_name(enum pvm_isa isa)
{
	return isa < PVM_ISA_COUNT ? isa_names[isa] : "?";
}

static bool same_string(const char *a, const char *b, uint32_t length)
{
	for (uint32_t i = 0; i < length; i++)
		if (a[i] != b[i] || a[i] == 0)
			return false;
	return b[length] == 0;
}

bool pvm_isa_parse(const char *name, enum pvm_isa *isa)
{
	uint32_t length = 0;
	while (name[length])
		length++;
	if (same_string(name, "gp0.7", length)) {
		*isa = PVM_ISA_GP07;
		return true;
	}
	if (same_string(name, "gp0.8", length) || same_string(name, "jamv1", length)) {
		*isa = PVM_ISA_GP08;
		return true;
	}
	return false;
}

enum pvm_op pvm_op_by_name(const char *name, uint32_t length)
{
	for (int op = 0; op < PVM_OP_COUNT; op++)
		if (same_string(name, pvm_ops[op].name, length))
			return (enum pvm_op)op;
	return PVM_OP_COUNT;
}
