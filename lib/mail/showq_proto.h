/*
 * showq_proto - the name of the protocol between showq and its client,
 * postqueue (docs/ipc.md, "showq, protocol showq_v1"). The attribute
 * names are listed there.
 */
#ifndef TERN_SHOWQ_PROTO_H
#define TERN_SHOWQ_PROTO_H

#define SHOWQ_PROTOCOL "showq_v1"

#endif
