/* errno.h: a plain global errno (guests are single-threaded); values as on Linux. */
#ifndef _ERRNO_H
#define _ERRNO_H

extern int errno;

#define EPERM  1
#define ENOENT 2
#define EIO    5
#define EBADF  9
#define EAGAIN 11
#define ENOMEM 12
#define EINVAL 22
#define ENOSPC 28
#define EDOM   33
#define ERANGE 34
#define ENOSYS 38
#define EILSEQ 84

#endif
