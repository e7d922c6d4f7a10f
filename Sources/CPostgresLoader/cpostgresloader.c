#include "cpostgresloader.h"

#include <dlfcn.h>
#include <postgresql/libpq-fe.h>
#include <pthread.h>
#include <stdio.h>

// Each libpq function the project calls is defined here under its own name, so Swift calls it as declared by
// <libpq-fe.h>, and forwards to libpq's definition once loaded. Typed with __typeof__ of the real declaration,
// so a signature cannot drift from the header. cpostgres_load runs before any connection exists, and every
// other call needs a connection or a result, so none forwards through an unset pointer.
#define FORWARD(name, result, parameters, arguments) \
    static __typeof__(name) *loaded_##name; \
    result name parameters { return loaded_##name arguments; }
#define FORWARD_VOID(name, parameters, arguments) \
    static __typeof__(name) *loaded_##name; \
    void name parameters { loaded_##name arguments; }

FORWARD(PQconnectdbParams, PGconn *, (const char *const *keywords, const char *const *values, int expand),
        (keywords, values, expand))
FORWARD(PQstatus, ConnStatusType, (const PGconn *conn), (conn))
FORWARD(PQtransactionStatus, PGTransactionStatusType, (const PGconn *conn), (conn))
FORWARD(PQsocket, int, (const PGconn *conn), (conn))
FORWARD(PQerrorMessage, char *, (const PGconn *conn), (conn))
FORWARD(PQsetClientEncoding, int, (PGconn *conn, const char *encoding), (conn, encoding))
FORWARD(PQsetNoticeProcessor, PQnoticeProcessor, (PGconn *conn, PQnoticeProcessor processor, void *argument),
        (conn, processor, argument))
FORWARD_VOID(PQreset, (PGconn *conn), (conn))
FORWARD_VOID(PQfinish, (PGconn *conn), (conn))
FORWARD(PQexec, PGresult *, (PGconn *conn, const char *query), (conn, query))
FORWARD(PQexecParams, PGresult *,
        (PGconn *conn, const char *command, int count, const Oid *types, const char *const *values,
         const int *lengths, const int *formats, int resultFormat),
        (conn, command, count, types, values, lengths, formats, resultFormat))
FORWARD(PQconsumeInput, int, (PGconn *conn), (conn))
FORWARD(PQnotifies, PGnotify *, (PGconn *conn), (conn))
FORWARD(PQresultStatus, ExecStatusType, (const PGresult *result), (result))
FORWARD(PQresultErrorField, char *, (const PGresult *result, int code), (result, code))
FORWARD(PQntuples, int, (const PGresult *result), (result))
FORWARD(PQgetvalue, char *, (const PGresult *result, int row, int column), (result, row, column))
FORWARD(PQgetlength, int, (const PGresult *result, int row, int column), (result, row, column))
FORWARD(PQgetisnull, int, (const PGresult *result, int row, int column), (result, row, column))
FORWARD(PQcmdTuples, char *, (PGresult *result), (result))
FORWARD(PQcmdStatus, char *, (PGresult *result), (result))
FORWARD_VOID(PQclear, (PGresult *result), (result))
FORWARD_VOID(PQfreemem, (void *pointer), (pointer))

static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;
static void *library;

#define RESOLVE(name) \
    if (!(loaded_##name = (__typeof__(name) *)dlsym(opened, #name))) { \
        snprintf(error, size, "libpq.so.5 has no %s", #name); \
        goto fail; \
    }

int cpostgres_load(char *error, size_t size) {
    pthread_mutex_lock(&load_lock);
    if (library) {
        pthread_mutex_unlock(&load_lock);
        return 0;
    }
    void *opened = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (!opened) {
        snprintf(error, size, "cannot load libpq: %s", dlerror());
        pthread_mutex_unlock(&load_lock);
        return -1;
    }
    RESOLVE(PQconnectdbParams) RESOLVE(PQstatus) RESOLVE(PQtransactionStatus) RESOLVE(PQsocket)
    RESOLVE(PQerrorMessage) RESOLVE(PQsetClientEncoding) RESOLVE(PQsetNoticeProcessor) RESOLVE(PQreset)
    RESOLVE(PQfinish) RESOLVE(PQexec) RESOLVE(PQexecParams) RESOLVE(PQconsumeInput) RESOLVE(PQnotifies)
    RESOLVE(PQresultStatus) RESOLVE(PQresultErrorField) RESOLVE(PQntuples) RESOLVE(PQgetvalue)
    RESOLVE(PQgetlength) RESOLVE(PQgetisnull) RESOLVE(PQcmdTuples) RESOLVE(PQcmdStatus) RESOLVE(PQclear)
    RESOLVE(PQfreemem)
    library = opened;
    pthread_mutex_unlock(&load_lock);
    return 0;
fail:
    dlclose(opened);
    pthread_mutex_unlock(&load_lock);
    return -1;
}
