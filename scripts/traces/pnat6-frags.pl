#!/usr/bin/perl
# Completes tcprewrite --pnat for IPv6 fragments, which tcprewrite 4.4.3
# leaves untouched (it does not walk the Fragment extension header).
#
# Usage: pnat6-frags.pl IN.pcap OUT.pcap OLD=NEW [OLD=NEW...]
#   OLD and NEW are single IPv6 addresses. IN is a classic little-endian
#   Ethernet pcap. Only IPv6 packets whose first extension header is a
#   Fragment header are changed; in a first fragment the TCP/UDP/ICMPv6
#   checksum is updated incrementally (RFC 1624), since the pseudo-header
#   holds both addresses and the rest of the datagram is not in this packet.
# perl-base is Essential in Debian, so this adds no dependency.
use strict;
use warnings;
use Socket qw(AF_INET6 inet_pton);

die "usage: $0 IN OUT OLD=NEW...\n" if @ARGV < 3;
my ($in, $out, @pairs) = @ARGV;
my %map;
for my $p (@pairs) {
  my ($old, $new) = split /=/, $p, 2;
  my ($o, $n) = (inet_pton(AF_INET6, $old), inet_pton(AF_INET6, $new));
  die "bad mapping $p\n" unless defined $o && defined $n;
  $map{$o} = $n;
}

open my $fi, '<:raw', $in or die "$in: $!\n";
open my $fo, '>:raw', $out or die "$out: $!\n";
read($fi, my $gh, 24) == 24 or die "$in: short file header\n";
my ($magic, undef, undef, undef, undef, undef, $linktype) = unpack 'V v v l V V V', $gh;
die "$in: not a little-endian classic pcap\n"
  unless $magic == 0xa1b2c3d4 || $magic == 0xa1b23c4d;
die "$in: link type $linktype is not Ethernet\n" unless $linktype == 1;
print {$fo} $gh;

sub fold { my $s = shift; $s = ($s & 0xffff) + ($s >> 16) while $s > 0xffff; $s }

my $changed = 0;
while (read($fi, my $rh, 16) == 16) {
  my $caplen = (unpack 'V V V V', $rh)[2];
  read($fi, my $pkt, $caplen) == $caplen or die "$in: truncated record\n";
  if ($caplen >= 14 + 40 + 8 && unpack('n', substr($pkt, 12, 2)) == 0x86dd
      && ord(substr($pkt, 14 + 6, 1)) == 44) {
    my ($src, $dst) = (substr($pkt, 22, 16), substr($pkt, 38, 16));
    my ($nsrc, $ndst) = ($map{$src} // $src, $map{$dst} // $dst);
    if ($nsrc ne $src || $ndst ne $dst) {
      substr($pkt, 22, 16) = $nsrc;
      substr($pkt, 38, 16) = $ndst;
      my $frag = 14 + 40;
      my $next = ord(substr($pkt, $frag, 1));
      my $offset = unpack('n', substr($pkt, $frag + 2, 2)) >> 3;
      my %csum_at = (6 => 16, 17 => 6, 58 => 2);
      my $at = exists $csum_at{$next} ? $frag + 8 + $csum_at{$next} : undef;
      if ($offset == 0 && defined $at && $at + 2 <= $caplen) {
        my $sum = (~unpack('n', substr($pkt, $at, 2))) & 0xffff;
        $sum += (~$_) & 0xffff for unpack 'n8 n8', $src . $dst;
        $sum += $_ for unpack 'n8 n8', $nsrc . $ndst;
        my $c = (~fold($sum)) & 0xffff;
        $c = 0xffff if $c == 0 && $next == 17;
        substr($pkt, $at, 2) = pack 'n', $c;
      }
      ++$changed;
    }
  }
  print {$fo} $rh, $pkt;
}
close $fo or die "$out: $!\n";
print STDERR "pnat6-frags: rewrote $changed IPv6 fragment(s)\n";
