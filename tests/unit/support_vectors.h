/*
 * support_vectors.h - load the captured Slurm traffic (tests/vectors) for
 * the unit tests.  The folder comes from STRAW_VECTORS, which tests/Makefile
 * sets.
 */
#ifndef STRAW_SUPPORT_VECTORS_H
#define STRAW_SUPPORT_VECTORS_H

#include <stddef.h>
#include <stdint.h>

#define TVEC_MAX_RELEASES 32

/* $STRAW_VECTORS, or NULL when it is not set. */
const char *tvec_dir(void);

/*
 * The whole file <vectors>/<rel> in a malloc'd buffer of exactly *len
 * bytes (one byte allocated for an empty file, so the result is never
 * NULL on success); NULL when it cannot be read.
 */
uint8_t *tvec_read(const char *rel, size_t *len);

/*
 * The release folders ("20.11", "22.05", ...) present, sorted; returns
 * how many (at most max).  Only names of the form NN.NN are listed.
 */
size_t tvec_releases(char names[][8], size_t max);

#endif /* STRAW_SUPPORT_VECTORS_H */
