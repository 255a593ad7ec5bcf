/*
 * credentials.h - the files the server reads once, at start: the bearer
 * token file and the TLS certificate and key (PEM). Each is read whole, at
 * most 1 MiB; what comes back is malloc'd, NUL-terminated and the caller's.
 * Failures are logged naming the file.
 */
#ifndef WEIR_HTTP_CREDENTIALS_H
#define WEIR_HTTP_CREDENTIALS_H

#include <stddef.h>

/* The token in path less surrounding whitespace, at least 16 characters:
 * *tok (OUT) and its length *len (OUT). 0 or -errno. */
int http_token_read(const char *path, char **tok, size_t *len);

/* The certificate and the key: *cert and *key (OUT), both or neither.
 * 0 or -errno. */
int http_tls_read(const char *cert_path, const char *key_path, char **cert, char **key);

#endif
