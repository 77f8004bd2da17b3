/*
 * sys_exits - the <sysexits.h> table (sys_exits.h).
 */
#include <stddef.h>

#include "mail/sys_exits.h"

static const struct sys_exits_detail sys_exits_table[] = {
    {64, "5.3.0", "command line usage error"},  {65, "5.6.0", "data format error"},
    {66, "5.3.0", "cannot open input"},         {67, "5.1.1", "user unknown"},
    {68, "5.1.2", "host name unknown"},         {69, "5.3.0", "service unavailable"},
    {70, "5.3.0", "internal software error"},   {71, "4.3.0", "system resource problem"},
    {72, "5.3.0", "critical OS file missing"},  {73, "5.2.0", "can't create user output file"},
    {74, "5.3.0", "input/output error"},        {75, "4.3.0", "temporary failure"},
    {76, "5.5.0", "remote error in protocol"},  {77, "5.7.0", "permission denied"},
    {78, "5.3.5", "local configuration error"},
};

const struct sys_exits_detail *
sys_exits_detail(int status)
{
    for (size_t i = 0; i < sizeof(sys_exits_table) / sizeof(sys_exits_table[0]); i++)
        if (sys_exits_table[i].status == status)
            return sys_exits_table + i;
    return NULL;
}

int
sys_exits_softerror(int status)
{
    const struct sys_exits_detail *detail = sys_exits_detail(status);

    return detail != NULL && detail->dsn[0] == '4';
}
