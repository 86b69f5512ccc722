#!/usr/bin/perl
# loader_slurm.pl - an ordinary Perl program on libslurm (Debian's
# libslurm-perl), for test_loader.sh: it knows nothing of straw and finds
# its configuration the way any libslurm client does. Prints each
# partition as "NAME NODES" and the controller's ping result.
use strict;
use warnings;
use Slurm;

my $slurm = Slurm::new() or die "Slurm::new failed\n";
my $parts = $slurm->load_partitions()
	or die "load_partitions failed: " . $slurm->strerror() . "\n";
print "partition $_->{name} $_->{nodes}\n" for @{ $parts->{partition_array} };
print "ping " . $slurm->ping(0) . "\n";
