// Service names of the well-known ports (0–1023), after IANA's registry as /etc/services lists it.

const WELL_KNOWN: Record<number, string> = {
  1: 'tcpmux', 7: 'echo', 9: 'discard', 11: 'systat', 13: 'daytime', 15: 'netstat', 17: 'qotd', 19: 'chargen',
  20: 'ftp-data', 21: 'ftp', 22: 'ssh', 23: 'telnet', 25: 'smtp', 37: 'time', 43: 'whois', 49: 'tacacs',
  53: 'domain', 67: 'bootps', 68: 'bootpc', 69: 'tftp', 70: 'gopher', 79: 'finger', 80: 'http', 88: 'kerberos',
  102: 'iso-tsap', 104: 'acr-nema', 106: 'poppassd', 110: 'pop3', 111: 'sunrpc', 113: 'auth', 119: 'nntp',
  123: 'ntp', 135: 'epmap', 137: 'netbios-ns', 138: 'netbios-dgm', 139: 'netbios-ssn', 143: 'imap2', 161: 'snmp',
  162: 'snmp-trap', 163: 'cmip-man', 164: 'cmip-agent', 174: 'mailq', 179: 'bgp', 199: 'smux', 209: 'qmtp',
  210: 'z3950', 213: 'ipx', 319: 'ptp-event', 320: 'ptp-general', 345: 'pawserv', 346: 'zserv', 369: 'rpc2portmap',
  370: 'codaauth2', 371: 'clearcase', 389: 'ldap', 427: 'svrloc', 443: 'https', 444: 'snpp', 445: 'microsoft-ds',
  464: 'kpasswd', 465: 'submissions', 487: 'saft', 500: 'isakmp', 512: 'exec', 513: 'login', 514: 'shell',
  515: 'printer', 520: 'route', 538: 'gdomap', 540: 'uucp', 543: 'klogin', 544: 'kshell', 546: 'dhcpv6-client',
  547: 'dhcpv6-server', 548: 'afpovertcp', 554: 'rtsp', 563: 'nntps', 587: 'submission', 607: 'nqs', 623: 'asf-rmcp',
  628: 'qmqp', 631: 'ipp', 636: 'ldaps', 646: 'ldp', 655: 'tinc', 706: 'silc', 749: 'kerberos-adm', 750: 'kerberos4',
  751: 'kerberos-master', 754: 'krb-prop', 775: 'moira-db', 777: 'moira-update', 783: 'spamd', 853: 'domain-s',
  871: 'supfilesrv', 873: 'rsync', 989: 'ftps-data', 990: 'ftps', 992: 'telnets', 993: 'imaps', 995: 'pop3s',
};

/** The registered service name of a well-known port (0–1023), or undefined. */
export function serviceName(port: number): string | undefined {
  return port <= 1023 ? WELL_KNOWN[port] : undefined;
}
