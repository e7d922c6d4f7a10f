// Debian's libpq-dev keeps the headers in /usr/include/postgresql.
#include <postgresql/libpq-fe.h>

// The error-field codes are character-literal macros ('C', 'M'), which Swift does not import.
static const int CPOSTGRES_DIAG_SQLSTATE = PG_DIAG_SQLSTATE;
static const int CPOSTGRES_DIAG_MESSAGE_PRIMARY = PG_DIAG_MESSAGE_PRIMARY;
