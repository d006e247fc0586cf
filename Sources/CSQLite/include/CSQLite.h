#ifndef EDGE_CSQLITE_H
#define EDGE_CSQLITE_H

// The part of SQLite's C API edge-dev uses, reached through the system's libsqlite3.so.0 opened
// at run time: no sqlite3.h (libsqlite3-dev) is needed to build, only the library to run.
// Every function is a thin forwarder; `edge_sqlite_load` must have succeeded first.

#include <stddef.h>
#include <stdint.h>

typedef struct edge_sqlite3 edge_sqlite3;
typedef struct edge_sqlite3_stmt edge_sqlite3_stmt;

enum {
    EDGE_SQLITE_OK = 0,
    EDGE_SQLITE_BUSY = 5,
    EDGE_SQLITE_LOCKED = 6,
    EDGE_SQLITE_ROW = 100,
    EDGE_SQLITE_DONE = 101,
    EDGE_SQLITE_INTEGER = 1,
    EDGE_SQLITE_FLOAT = 2,
    EDGE_SQLITE_TEXT = 3,
    EDGE_SQLITE_BLOB = 4,
    EDGE_SQLITE_NULL = 5,
    EDGE_SQLITE_OPEN_READWRITE = 0x00000002,
    EDGE_SQLITE_OPEN_CREATE = 0x00000004,
    EDGE_SQLITE_OPEN_FULLMUTEX = 0x00010000,
};

/// Opens the library (`libsqlite3.so.0`, then `libsqlite3.so`) and finds every function.
/// Returns 0, or -1 with the reason in `error`.
int edge_sqlite_load(char *error, size_t error_size);
/// The loaded library's version, e.g. "3.40.1".
const char *edge_sqlite_libversion(void);

int edge_sqlite_open(const char *path, edge_sqlite3 **db, int flags);
int edge_sqlite_close(edge_sqlite3 *db);
int edge_sqlite_busy_timeout(edge_sqlite3 *db, int milliseconds);
const char *edge_sqlite_errmsg(edge_sqlite3 *db);
int edge_sqlite_extended_errcode(edge_sqlite3 *db);
/// The byte offset in the SQL of the last error, or -1 (SQLite before 3.38 never knows).
int edge_sqlite_error_offset(edge_sqlite3 *db);
int edge_sqlite_changes(edge_sqlite3 *db);
int edge_sqlite_get_autocommit(edge_sqlite3 *db);

/// Prepares the first statement of `sql` (`length` bytes); `tail` is set to the byte offset
/// just after it, so a script can be run statement by statement.
int edge_sqlite_prepare(edge_sqlite3 *db, const char *sql, int length, edge_sqlite3_stmt **statement, int *tail);
int edge_sqlite_step(edge_sqlite3_stmt *statement);
int edge_sqlite_reset(edge_sqlite3_stmt *statement);
int edge_sqlite_finalize(edge_sqlite3_stmt *statement);
/// Nonzero when the statement never writes the database (SELECT, and BEGIN itself).
int edge_sqlite_stmt_readonly(edge_sqlite3_stmt *statement);
int edge_sqlite_bind_parameter_count(edge_sqlite3_stmt *statement);
int edge_sqlite_bind_null(edge_sqlite3_stmt *statement, int index);
int edge_sqlite_bind_int64(edge_sqlite3_stmt *statement, int index, int64_t value);
int edge_sqlite_bind_double(edge_sqlite3_stmt *statement, int index, double value);
/// Text and blobs are copied by SQLite (SQLITE_TRANSIENT).
int edge_sqlite_bind_text(edge_sqlite3_stmt *statement, int index, const char *text, int length);
int edge_sqlite_bind_blob(edge_sqlite3_stmt *statement, int index, const void *bytes, int length);
int edge_sqlite_column_count(edge_sqlite3_stmt *statement);
const char *edge_sqlite_column_name(edge_sqlite3_stmt *statement, int index);
int edge_sqlite_column_type(edge_sqlite3_stmt *statement, int index);
int64_t edge_sqlite_column_int64(edge_sqlite3_stmt *statement, int index);
double edge_sqlite_column_double(edge_sqlite3_stmt *statement, int index);
const unsigned char *edge_sqlite_column_text(edge_sqlite3_stmt *statement, int index);
const void *edge_sqlite_column_blob(edge_sqlite3_stmt *statement, int index);
int edge_sqlite_column_bytes(edge_sqlite3_stmt *statement, int index);

#endif
