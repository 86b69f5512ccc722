# jupyterhub_config.py (excerpt) - batchspawner on a hub host that has no
# slurm.conf: every Slurm command batchspawner runs (sbatch, squeue,
# scancel) goes through `straw exec`, as the user, so it finds the cluster's
# configuration in that user's straw cache.
#
# On the hub host: install the straw and straw-munge packages, name the
# controllers in /etc/straw.conf (see straw.conf in this folder) and give it
# the cluster's munge key, as any submit host has.
#
# CI (tests/integration/test_packages.sh) loads this file with a stand-in
# for `c` and runs the commands it sets, as batchspawner would, against a
# real slurmctld.

c = get_config()  # noqa: F821 (provided by JupyterHub)

c.JupyterHub.spawner_class = "batchspawner.SlurmSpawner"

# batchspawner's own default prefix, with straw exec after it: sudo clears
# LD_PRELOAD, straw exec puts the loader back for the one command.
c.SlurmSpawner.exec_prefix = "sudo -E -u {username} /usr/bin/straw exec"

# batchspawner's defaults, spelled out: these are what run behind the prefix.
c.SlurmSpawner.batch_submit_cmd = "sbatch --parsable"
c.SlurmSpawner.batch_query_cmd = "squeue -h -j {job_id} -o '%T %B'"
c.SlurmSpawner.batch_cancel_cmd = "scancel {job_id}"
