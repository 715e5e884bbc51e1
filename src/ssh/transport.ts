// The one interface between the engine and a host. SshTransport is the real one; unit
// tests use a fake. Everything a host is asked to do is one exec of a command line
// with optional stdin: no SFTP, no agent, so every round trip is counted here.
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /**
   * The command's own time limit, enforced on the host (see commandLine in engine/session.ts).
   * A transport gives up on the exec a grace period after it, should the host not answer.
   */
  timeoutS?: number;
}

export interface Transport {
  readonly host: string;
  /**
   * Run one command line on the host. Resolves with the exit code; rejects with
   * UnreachableError on connection loss (at any time), CommandTimeout past the deadline.
   */
  exec(command: string, stdin?: string | Buffer, opts?: ExecOptions): Promise<ExecResult>;
  /** How many execs this transport has made (facts, changes, handlers). */
  readonly execCount: number;
  /** Drop the connection and open a new one to the same host, keys checked again (reboot). */
  reconnect?(): Promise<void>;
  close(): Promise<void>;
}
