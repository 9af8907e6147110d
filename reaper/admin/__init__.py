"""Admin commands: ``reaper reinstate`` gives seats back, ``reaper audit`` lists the audit log."""
