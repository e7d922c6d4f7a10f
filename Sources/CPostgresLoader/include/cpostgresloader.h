// libpq, loaded when a PostgreSQL store is opened rather than linked: linked, it makes every start of
// conclave-serve load libpq and the 19 libraries it pulls in (Kerberos, LDAP, GnuTLS: 6 ms), --store or not.
#ifndef CPOSTGRESLOADER_H
#define CPOSTGRESLOADER_H

#include <stddef.h>

// Loads libpq.so.5 once per process (thread-safe) and resolves the libpq functions this project calls; after
// that, those functions (declared by <libpq-fe.h>, defined in this target) call libpq's own. Returns 0, or -1
// with the reason in `error`.
int cpostgres_load(char *error, size_t size);

#endif
