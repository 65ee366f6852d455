/*
 * registry.h — pure helpers of the traceability registry (no PostgreSQL headers).
 */
#ifndef PT_REGISTRY_H
#define PT_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Parse a calendar date written exactly YYYY-MM-DD (year 0001-9999) and check
 * that the day exists in that month (leap years included). Returns false for
 * anything else, without reading past len.
 */
bool reg_parse_ymd(const char *s, size_t len, int *year, int *month, int *day);

#endif                          /* PT_REGISTRY_H */
