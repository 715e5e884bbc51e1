// The one interface between the engine and a host. SshTransport is the real one; unit
// tests use a fake. Everything a host is asked to do is one exec of a command line
// with optional stdin: no SFTP, no agent, so every round trip is counted here.
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Transport {
  readonly host: string;
  /** Run one command line on the host. Resolves with the exit code; rejects only on connection loss. */
  exec(command: string, stdin?: string | Buffer): Promise<ExecResult>;
  /** How many execs this transport has made (facts, changes, handlers). */
  readonly execCount: number;
  close(): Promise<void>;
}
