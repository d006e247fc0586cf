#include "CSQLite.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

// SQLite's own "copy this buffer now" destructor value.
#define EDGE_SQLITE_TRANSIENT ((void (*)(void *))-1)

static struct {
    const char *(*libversion)(void);
    int (*open_v2)(const char *, edge_sqlite3 **, int, const char *);
    int (*close_v2)(edge_sqlite3 *);
    int (*busy_timeout)(edge_sqlite3 *, int);
    const char *(*errmsg)(edge_sqlite3 *);
    int (*extended_errcode)(edge_sqlite3 *);
    int (*error_offset)(edge_sqlite3 *);
    int (*changes)(edge_sqlite3 *);
    int (*get_autocommit)(edge_sqlite3 *);
    int (*prepare_v2)(edge_sqlite3 *, const char *, int, edge_sqlite3_stmt **, const char **);
    int (*step)(edge_sqlite3_stmt *);
    int (*reset)(edge_sqlite3_stmt *);
    int (*finalize)(edge_sqlite3_stmt *);
    int (*stmt_readonly)(edge_sqlite3_stmt *);
    int (*bind_parameter_count)(edge_sqlite3_stmt *);
    int (*bind_null)(edge_sqlite3_stmt *, int);
    int (*bind_int64)(edge_sqlite3_stmt *, int, int64_t);
    int (*bind_double)(edge_sqlite3_stmt *, int, double);
    int (*bind_text)(edge_sqlite3_stmt *, int, const char *, int, void (*)(void *));
    int (*bind_blob)(edge_sqlite3_stmt *, int, const void *, int, void (*)(void *));
    int (*column_count)(edge_sqlite3_stmt *);
    const char *(*column_name)(edge_sqlite3_stmt *, int);
    int (*column_type)(edge_sqlite3_stmt *, int);
    int64_t (*column_int64)(edge_sqlite3_stmt *, int);
    double (*column_double)(edge_sqlite3_stmt *, int);
    const unsigned char *(*column_text)(edge_sqlite3_stmt *, int);
    const void *(*column_blob)(edge_sqlite3_stmt *, int);
    int (*column_bytes)(edge_sqlite3_stmt *, int);
} api;

int edge_sqlite_load(char *error, size_t error_size) {
    if (api.open_v2) return 0;
    void *library = dlopen("libsqlite3.so.0", RTLD_NOW | RTLD_GLOBAL);
    if (!library) library = dlopen("libsqlite3.so", RTLD_NOW | RTLD_GLOBAL);
    if (!library) {
        snprintf(error, error_size, "cannot open the SQLite library libsqlite3.so.0 (%s)", dlerror());
        return -1;
    }
#define FIND(field, symbol)                                                                        \
    do {                                                                                           \
        *(void **)(&api.field) = dlsym(library, symbol);                                           \
        if (!api.field) {                                                                          \
            snprintf(error, error_size, "the SQLite library has no %s (too old?)", symbol);        \
            api.open_v2 = 0;                                                                       \
            return -1;                                                                             \
        }                                                                                          \
    } while (0)
    FIND(libversion, "sqlite3_libversion");
    FIND(close_v2, "sqlite3_close_v2");
    FIND(busy_timeout, "sqlite3_busy_timeout");
    FIND(errmsg, "sqlite3_errmsg");
    FIND(extended_errcode, "sqlite3_extended_errcode");
    FIND(changes, "sqlite3_changes");
    FIND(get_autocommit, "sqlite3_get_autocommit");
    FIND(prepare_v2, "sqlite3_prepare_v2");
    FIND(step, "sqlite3_step");
    FIND(reset, "sqlite3_reset");
    FIND(finalize, "sqlite3_finalize");
    FIND(stmt_readonly, "sqlite3_stmt_readonly");
    FIND(bind_parameter_count, "sqlite3_bind_parameter_count");
    FIND(bind_null, "sqlite3_bind_null");
    FIND(bind_int64, "sqlite3_bind_int64");
    FIND(bind_double, "sqlite3_bind_double");
    FIND(bind_text, "sqlite3_bind_text");
    FIND(bind_blob, "sqlite3_bind_blob");
    FIND(column_count, "sqlite3_column_count");
    FIND(column_name, "sqlite3_column_name");
    FIND(column_type, "sqlite3_column_type");
    FIND(column_int64, "sqlite3_column_int64");
    FIND(column_double, "sqlite3_column_double");
    FIND(column_text, "sqlite3_column_text");
    FIND(column_blob, "sqlite3_column_blob");
    FIND(column_bytes, "sqlite3_column_bytes");
#undef FIND
    // 3.38 and later; older libraries just never know the offset.
    *(void **)(&api.error_offset) = dlsym(library, "sqlite3_error_offset");
    // Last: it is what says "loaded".
    *(void **)(&api.open_v2) = dlsym(library, "sqlite3_open_v2");
    if (!api.open_v2) {
        snprintf(error, error_size, "the SQLite library has no sqlite3_open_v2");
        return -1;
    }
    return 0;
}

const char *edge_sqlite_libversion(void) { return api.libversion(); }
int edge_sqlite_open(const char *path, edge_sqlite3 **db, int flags) { return api.open_v2(path, db, flags, NULL); }
int edge_sqlite_close(edge_sqlite3 *db) { return api.close_v2(db); }
int edge_sqlite_busy_timeout(edge_sqlite3 *db, int milliseconds) { return api.busy_timeout(db, milliseconds); }
const char *edge_sqlite_errmsg(edge_sqlite3 *db) { return api.errmsg(db); }
int edge_sqlite_extended_errcode(edge_sqlite3 *db) { return api.extended_errcode(db); }
int edge_sqlite_error_offset(edge_sqlite3 *db) { return api.error_offset ? api.error_offset(db) : -1; }
int edge_sqlite_changes(edge_sqlite3 *db) { return api.changes(db); }
int edge_sqlite_get_autocommit(edge_sqlite3 *db) { return api.get_autocommit(db); }

int edge_sqlite_prepare(edge_sqlite3 *db, const char *sql, int length, edge_sqlite3_stmt **statement, int *tail) {
    const char *end = NULL;
    int status = api.prepare_v2(db, sql, length, statement, &end);
    *tail = end ? (int)(end - sql) : length;
    return status;
}
int edge_sqlite_step(edge_sqlite3_stmt *s) { return api.step(s); }
int edge_sqlite_reset(edge_sqlite3_stmt *s) { return api.reset(s); }
int edge_sqlite_finalize(edge_sqlite3_stmt *s) { return api.finalize(s); }
int edge_sqlite_stmt_readonly(edge_sqlite3_stmt *s) { return api.stmt_readonly(s); }
int edge_sqlite_bind_parameter_count(edge_sqlite3_stmt *s) { return api.bind_parameter_count(s); }
int edge_sqlite_bind_null(edge_sqlite3_stmt *s, int i) { return api.bind_null(s, i); }
int edge_sqlite_bind_int64(edge_sqlite3_stmt *s, int i, int64_t v) { return api.bind_int64(s, i, v); }
int edge_sqlite_bind_double(edge_sqlite3_stmt *s, int i, double v) { return api.bind_double(s, i, v); }
int edge_sqlite_bind_text(edge_sqlite3_stmt *s, int i, const char *t, int n) {
    return api.bind_text(s, i, t, n, EDGE_SQLITE_TRANSIENT);
}
int edge_sqlite_bind_blob(edge_sqlite3_stmt *s, int i, const void *b, int n) {
    return api.bind_blob(s, i, b, n, EDGE_SQLITE_TRANSIENT);
}
int edge_sqlite_column_count(edge_sqlite3_stmt *s) { return api.column_count(s); }
const char *edge_sqlite_column_name(edge_sqlite3_stmt *s, int i) { return api.column_name(s, i); }
int edge_sqlite_column_type(edge_sqlite3_stmt *s, int i) { return api.column_type(s, i); }
int64_t edge_sqlite_column_int64(edge_sqlite3_stmt *s, int i) { return api.column_int64(s, i); }
double edge_sqlite_column_double(edge_sqlite3_stmt *s, int i) { return api.column_double(s, i); }
const unsigned char *edge_sqlite_column_text(edge_sqlite3_stmt *s, int i) { return api.column_text(s, i); }
const void *edge_sqlite_column_blob(edge_sqlite3_stmt *s, int i) { return api.column_blob(s, i); }
int edge_sqlite_column_bytes(edge_sqlite3_stmt *s, int i) { return api.column_bytes(s, i); }
