import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second, the unit of utime and stime in /proc/<pid>/stat. */
const CLOCK_TICKS = Number(
  execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }),
);

/** CPU time (user + system) that process `pid` has used so far, in seconds; 10 ms resolution. */
export function cpuSeconds(pid) {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/**
 * The same for the process's main thread alone (its thread id is the pid): JavaScript runs there,
 * while V8's compiler and garbage-collector helpers run in threads of their own.
 */
export function mainThreadCpuSeconds(pid) {
  return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
}

function statCpuSeconds(path) {
  const stat = readFileSync(path, 'utf8');
  // The command name (field 2) may contain spaces; the fields after its ')' are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime] = [fields[11], fields[12]].map(Number); // fields 14 and 15 of stat(5)
  return (utime + stime) / CLOCK_TICKS;
}

/**
 * System calls that wrote (`write`, `writev`, `sendmsg`...) that process `pid` has made so far:
 * `syscw` in /proc/<pid>/io. Each is one trip into the kernel, whatever it carried.
 */
export function writeCalls(pid) {
  return Number(
    /^syscw: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))[1],
  );
}

/** Resident memory of process `pid` in KiB: `rss` now and `peak` (VmHWM) since it started. */
export function memoryKb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)[1]);
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/**
 * Connections the kernel dropped, machine-wide, because a listen queue was full (TcpExt
 * ListenOverflows). Each one means a SYN retried a second later, which a connect rate must not
 * include unnoticed.
 */
export function listenOverflows() {
  const [names, values] = readFileSync('/proc/net/netstat', 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('TcpExt:'))
    .map((line) => line.split(/\s+/));
  return Number(values[names.indexOf('ListenOverflows')]);
}
