#include <criterion/criterion.h>

#include "tests/support.h"

Test(smoke, halts_through_the_halt_address)
{
	struct machine m;
	machine_from_source(&m,
			    "load_imm r0, -65536\n"
			    "load_imm r7, 42\n"
			    "jump_ind r0, 0\n",
			    NULL, 100);
	corral_interrupt stop = machine_run(&m);
	cr_assert_eq(stop.kind, CORRAL_FINISHED);
	cr_assert_eq(machine_reg(&m, 7), 42);
	cr_assert_eq(corral_instance_gas(m.instance), 97);
	machine_free(&m);
}
