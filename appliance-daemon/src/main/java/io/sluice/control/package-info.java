/**
 * The control plane: MXBeans over each stage's own control API, the JMX connector with password and access
 * files, and the state file that keeps operators' live changes across restarts.
 */
package io.sluice.control;
