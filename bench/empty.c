/*
 * empty.c - libempty.so, a library with nothing in it, for LD_PRELOAD: what
 * preloading any library costs a process (the dynamic linker maps it and
 * every symbol lookup walks past it), the floor under the loader's cost.
 * One exported symbol, as the loader has two: a library exporting none
 * would be skipped by the linker's lookups more cheaply than any real one.
 */
__attribute__((visibility("default"))) int bench_empty;
