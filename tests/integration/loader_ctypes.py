#!/usr/bin/python3
"""loader_ctypes.py - a Python program that drives libslurm 22.05
(libslurm.so.38) through ctypes, as PySlurm-style bindings do, for
test_loader.sh: slurm_init(NULL), slurm_ping, slurm_load_partitions.
It knows nothing of straw. Prints "ping RC", "partitions N" and the first partition's name and
nodes (from slurm_sprint_partition_info's one-liner)."""
import ctypes
import sys

# Global, as a binding's extension module needs: libslurm's plugins
# resolve their symbols against it.
slurm = ctypes.CDLL("libslurm.so.38", mode=ctypes.RTLD_GLOBAL)


class PartitionInfoMsg(ctypes.Structure):
    # partition_info_msg_t of slurm.h 22.05
    _fields_ = [
        ("last_update", ctypes.c_long),
        ("record_count", ctypes.c_uint32),
        ("partition_array", ctypes.c_void_p),
    ]


slurm.slurm_init.argtypes = [ctypes.c_char_p]
slurm.slurm_init.restype = None
slurm.slurm_ping.argtypes = [ctypes.c_int]
slurm.slurm_load_partitions.argtypes = [
    ctypes.c_long, ctypes.POINTER(ctypes.POINTER(PartitionInfoMsg)), ctypes.c_uint16]
slurm.slurm_sprint_partition_info.argtypes = [ctypes.c_void_p, ctypes.c_int]
slurm.slurm_sprint_partition_info.restype = ctypes.c_char_p
slurm.slurm_get_errno.restype = ctypes.c_int
slurm.slurm_free_partition_info_msg.argtypes = [ctypes.POINTER(PartitionInfoMsg)]
slurm.slurm_strerror.argtypes = [ctypes.c_int]
slurm.slurm_strerror.restype = ctypes.c_char_p

slurm.slurm_init(None)
print("ping", slurm.slurm_ping(0))
msg = ctypes.POINTER(PartitionInfoMsg)()
if slurm.slurm_load_partitions(0, ctypes.byref(msg), 0) != 0:
    err = slurm.slurm_get_errno()
    sys.exit("slurm_load_partitions: " + slurm.slurm_strerror(err).decode())
count = msg.contents.record_count
print("partitions", count)
if count:
    # the first record; walking the array would need sizeof(partition_info_t)
    line = slurm.slurm_sprint_partition_info(msg.contents.partition_array, 1).decode()
    fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
    print("partition", fields.get("PartitionName"), fields.get("Nodes"))
slurm.slurm_free_partition_info_msg(msg)
