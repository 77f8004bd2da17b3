/*
 * fd_pass - hand an open descriptor to another process over a UNIX-domain
 * socket (SCM_RIGHTS), as the "pass" service type of master.cf needs.
 *
 *   fd_pass_send(sock, fd)
 *       sends fd, with one data byte (a descriptor cannot travel alone),
 *       over the connected UNIX-domain socket sock. Returns 0, or -1 with
 *       errno set.
 *   fd_pass_recv(sock, timeout_ms)
 *       waits at most timeout_ms (< 0: no limit) for one message on sock and
 *       returns the descriptor it carried (close-on-exec set), or -1 with
 *       errno set: ETIMEDOUT, ECONNRESET when the peer closed without
 *       sending anything, EBADMSG when the message carried no descriptor.
 *       Extra descriptors in the same message are closed, so a peer
 *       cannot make the receiver leak descriptors.
 *
 * Neither function logs; the caller knows what the socket is.
 */
#ifndef TERN_FD_PASS_H
#define TERN_FD_PASS_H

int fd_pass_send(int sock, int fd);
int fd_pass_recv(int sock, int timeout_ms);

#endif
