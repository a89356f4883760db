#!/usr/bin/perl
# Reads bounces with sisimai (Debian's libsisimai-perl) and prints, per file, what it found for each
# recipient: {"file.eml": [{"recipient", "action", "status", "reason", "softbounce", "replycode"}]}.
# Used by Tests/MessageAnalysisTests/SisimaiCorpusTests.swift to run sisimai itself on the corpus.
use strict;
use warnings;
use Sisimai;
use JSON::PP;

my $out = {};
for my $file (@ARGV) {
    my $facts = Sisimai->make($file) || [];
    my @rows = map {
        {
            recipient  => $_->recipient->address,
            action     => $_->action,
            status     => $_->deliverystatus,
            reason     => $_->reason,
            softbounce => $_->softbounce,
            replycode  => $_->replycode,
        }
    } @$facts;
    (my $name = $file) =~ s{.*/}{};
    $out->{$name} = \@rows;
}
print JSON::PP->new->canonical->encode($out);
