/*
 * commit_fault - test-only fault injection for the writers of queue files
 * (tern-test-postdrop-fault and tern-test-cleanup-fault: the program's
 * sources plus this file).
 *
 * Before main, reads TERN_COMMIT_FAULT_STEP; when it names a commit step
 * (1 written, 2 fsynced, 3 renamed, 4 directory synced: the
 * MAIL_QUEUE_STEP_* of lib/mail/mail_queue.h), installs
 * mail_queue_commit_hook so that the process _exits with status 99 the
 * moment the commit reaches that step, as a crash would stop it. Any
 * other value (or none) leaves the program as it is. (A daemon gets the
 * variable from the master only through import_environment.)
 */
#include <stdlib.h>
#include <unistd.h>

#include "mail/mail_queue.h"

static int commit_fault_step;

static void
commit_fault_hook(int step)
{
    if (step == commit_fault_step)
        _exit(99);
}

__attribute__((constructor)) static void
commit_fault_init(void)
{
    const char *value = getenv("TERN_COMMIT_FAULT_STEP");

    if (value == NULL)
        return;
    commit_fault_step = atoi(value);
    if (commit_fault_step >= MAIL_QUEUE_STEP_WRITTEN &&
        commit_fault_step <= MAIL_QUEUE_STEP_DIR_SYNCED)
        mail_queue_commit_hook = commit_fault_hook;
}
