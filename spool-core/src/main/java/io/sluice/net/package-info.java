/**
 * The ground floor for network and address values: an IP network ({@link io.sluice.net.Cidr}), a list of them asked
 * whether a message's source is inside ({@link io.sluice.net.SourceNetworks}), and the split of a mail address into
 * local part and domain ({@link io.sluice.net.MailAddress}). Admission, bounce, drain and the
 * daemon's ingress all compare sources and domains; keeping these value types here, below every one of them, means
 * none has to lean on another's package to do so. Named {@code net} because everything in it is about where mail
 * comes from or goes to on the network; it depends on nothing in Sluice except {@code config} (for the error that
 * names a bad setting), and never on Netty: no sockets live in the library.
 */
package io.sluice.net;
