// Launcher messages in English and 简体中文. The language follows the
// system locale: LC_ALL / LC_MESSAGES / LANG on Unix, and on Windows (where those are rarely set)
// the ICU default locale, which Node derives from the user's display language.

export type Lang = "en" | "zh";

/** Picks zh when the locale is Chinese (zh, zh_CN, zh-Hans-CN, ...), en otherwise. */
export function detectLang(env: Record<string, string | undefined>, intlLocale: string | undefined): Lang {
  // POSIX precedence: LC_ALL overrides LC_MESSAGES, which overrides LANG.
  const posix = env.LC_ALL || env.LC_MESSAGES || env.LANG;
  const override = env.GREENBUNDLE_LANG;
  // "C", "POSIX", "C.UTF-8" say nothing about the language: fall through to ICU's default.
  const locale = override || (posix && !/^(C|POSIX)([.@]|$)/.test(posix) ? posix : intlLocale) || "";
  return /^zh\b|^zh[-_]/i.test(locale) ? "zh" : "en";
}

type Msg = (p: Record<string, string | number>) => string;
type Table = Record<string, { en: Msg; zh: Msg }>;

const T = {
  usage: {
    en: (p) =>
      `${p.title} ${p.version}\n\nUsage: ${p.exe} [options] [-- app arguments]\n\n` +
      `Options:\n  --no-browser   do not open the web browser when the app is ready\n` +
      `  --port N       first port to try (default ${p.port}; the next free one is used)\n` +
      `  --check        check every file (sha256) and the environment, print a report, exit\n` +
      `  --json         with --check: the report as one JSON object\n` +
      `  --gpu N        the NVIDIA GPU to use (nvidia-smi's number; default 0, the first)\n` +
      `  --exec -- PROGRAM [ARGS]  run one command with the bundle's Python and Git first on PATH\n` +
      `  --shell        open a console with the bundle's Python and Git first on PATH\n` +
      `  --update FILE  apply an update file (<name>-<old>-to-<new>-<platform>.update.zip); dropping it onto the launcher does the same\n` +
      `  --rollback     go back to the release before the last update\n` +
      `  --version      print the bundle and launcher versions\n  --help         this text\n` +
      `  -- ARGS        everything after -- is passed to the app\n\nLogs: ${p.logs}`,
    zh: (p) =>
      `${p.title} ${p.version}\n\n用法：${p.exe} [选项] [-- 程序参数]\n\n` +
      `选项：\n  --no-browser   程序就绪后不自动打开浏览器\n` +
      `  --port N       起始端口（默认 ${p.port}，被占用时自动顺延）\n` +
      `  --check        校验全部文件（sha256）并检查运行环境，输出报告后退出\n` +
      `  --json         与 --check 一起使用：以一个 JSON 对象输出报告\n` +
      `  --gpu N        使用的 NVIDIA 显卡（nvidia-smi 中的编号，默认 0 即第一块）\n` +
      `  --exec -- 程序 [参数]  用整合包自带的 Python 和 Git（优先于系统）运行一条命令\n` +
      `  --shell        打开命令行窗口，整合包自带的 Python 和 Git 优先于系统\n` +
      `  --update 文件  安装更新包（<名称>-<旧版本>-to-<新版本>-<平台>.update.zip）；把更新包拖到启动器上也可以\n` +
      `  --rollback     回到上一次更新之前的版本\n` +
      `  --version      显示整合包和启动器版本\n  --help         显示本帮助\n` +
      `  -- 参数        -- 之后的参数原样传给程序\n\n日志目录：${p.logs}`,
  },
  updateApplied: {
    en: (p) => `Updated from ${p.from} to ${p.to} (${p.detail}). The files replaced are kept: launcher --rollback goes back.`,
    zh: (p) => `已从 ${p.from} 更新到 ${p.to}（${p.detail}）。被替换的文件已保留：运行 launcher --rollback 可回到旧版本。`,
  },
  updateAlready: { en: (p) => `This bundle is already at ${p.version}: nothing to do.`, zh: (p) => `整合包已经是 ${p.version} 版本，无需更新。` },
  updateNotFor: {
    en: (p) => `This update cannot be applied to this bundle: ${p.detail}`,
    zh: (p) => `此更新包不适用于本整合包：${p.detail}`,
  },
  updateFailed: {
    en: (p) => `The update failed, nothing was changed: ${p.detail}`,
    zh: (p) => `更新失败，整合包没有任何改动：${p.detail}`,
  },
  updateUndone: {
    en: (p) => `An ${p.kind} was interrupted; it was undone and the bundle is at ${p.version} again, complete. Run it again to finish.`,
    zh: (p) => `上次的${p.kind === "update" ? "更新" : "回滚"}被中断，已撤销，整合包已恢复为完整的 ${p.version} 版本。请重新运行以完成操作。`,
  },
  updateFinished: { en: (p) => `An interrupted update was finished: the bundle is at ${p.version}.`, zh: (p) => `上次中断的更新已完成，整合包现在是 ${p.version} 版本。` },
  rollbackDone: {
    en: (p) => `Rolled back from ${p.from} to ${p.to}. launcher --rollback again returns to ${p.from}.`,
    zh: (p) => `已从 ${p.from} 回滚到 ${p.to}。再次运行 launcher --rollback 可回到 ${p.from}。`,
  },
  badArgs: { en: (p) => `${p.error}. Run with --help for the options.`, zh: (p) => `${p.error}。使用 --help 查看可用选项。` },
  starting: { en: (p) => `Starting ${p.title} ${p.version}`, zh: (p) => `正在启动 ${p.title} ${p.version}` },
  noBundleJson: {
    en: (p) => `Cannot read ${p.path}: ${p.error}. The launcher must stay in the bundle folder, next to bundle.json; if it is missing, unpack the whole archive again.`,
    zh: (p) => `无法读取 ${p.path}：${p.error}。启动器必须放在整合包文件夹内、与 bundle.json 同级；如果该文件丢失，请重新完整解压整个压缩包。`,
  },
  unknownFormat: {
    en: (p) =>
      `${p.path} is in format ${p.format}, which this launcher (greenbundle ${p.builder}) cannot read: it reads format ${p.reads}. ` +
      `The launcher and bundle.json come from different releases: unpack the whole archive again into a new folder, so that both come from the same one.`,
    zh: (p) =>
      `${p.path} 的格式版本为 ${p.format}，本启动器（greenbundle ${p.builder}）无法读取，它只能读取第 ${p.reads} 版。` +
      `启动器与 bundle.json 来自不同的发布版本：请把整个压缩包重新完整解压到一个新文件夹，使两者来自同一版本。`,
  },
  badManifest: {
    en: (p) => `The file list in ${p.path} cannot be used (${p.error}), so the bundle's files were not checked. Unpack the whole archive again.`,
    zh: (p) => `${p.path} 中的文件清单无法使用（${p.error}），因此未能校验整合包的文件。请重新完整解压整个压缩包。`,
  },
  missingFiles: {
    en: (p) =>
      `${p.count} file(s) of the bundle are missing. The archive was probably not fully unpacked, or an antivirus program quarantined them:\n${p.list}\n` +
      `Unpack the whole archive again (with 7-Zip or Windows Explorer, into a new folder), and if an antivirus program removed files, restore them and add the folder to its exclusions.`,
    zh: (p) =>
      `整合包中有 ${p.count} 个文件缺失，可能是压缩包没有完整解压，或被杀毒软件隔离：\n${p.list}\n` +
      `请重新完整解压压缩包（用 7-Zip 或资源管理器解压到一个新文件夹）；如果是杀毒软件删除了文件，请恢复这些文件，并把整合包文件夹加入白名单。`,
  },
  changedFiles: {
    en: (p) => `${p.count} file(s) differ from the release (size or content changed). If you did not edit them, unpack the archive again:\n${p.list}`,
    zh: (p) => `有 ${p.count} 个文件与发布版本不同（大小或内容被改动）。如果不是你自己修改的，请重新解压：\n${p.list}`,
  },
  more: { en: (p) => `  ... and ${p.count} more`, zh: (p) => `  ……以及另外 ${p.count} 个` },
  pathNonAscii: {
    en: (p) => `The bundle folder path contains non-ASCII characters (${p.path}). Most things work, but some Python packages fail on such paths; if the app fails to start, move the folder to a plain path such as D:\\AI\\bundle.`,
    zh: (p) => `整合包所在路径包含中文或其他非英文字符（${p.path}）。大多数情况下可以运行，但部分 Python 组件不支持此类路径；如果启动失败，请把文件夹移动到纯英文路径，例如 D:\\AI\\bundle。`,
  },
  pathSpaces: {
    en: (p) => `The bundle folder path contains spaces (${p.path}). If the app fails to start, move the folder to a path without spaces.`,
    zh: (p) => `整合包所在路径包含空格（${p.path}）。如果启动失败，请把文件夹移动到不含空格的路径。`,
  },
  pathLong: {
    en: (p) => `Some files end up ${p.len} characters deep, over Windows' 260-character limit. Move the folder closer to the drive root (for example D:\\sd) or enable long paths in Windows.`,
    zh: (p) => `部分文件的完整路径长达 ${p.len} 个字符，超过了 Windows 260 个字符的限制。请把文件夹移动到更短的路径（例如 D:\\sd），或在 Windows 中启用长路径支持。`,
  },
  gpuFound: { en: (p) => `GPU: ${p.name}, ${p.gb} GiB VRAM`, zh: (p) => `显卡：${p.name}，显存 ${p.gb} GiB` },
  noGpu: {
    en: () => `No NVIDIA GPU found (nvidia-smi did not answer). The app runs on the CPU, which is very slow. If you have an NVIDIA card, install or update its driver.`,
    zh: () => `未检测到 NVIDIA 显卡（nvidia-smi 无响应），将使用 CPU 运行，速度会非常慢。如果你有 NVIDIA 显卡，请安装或更新显卡驱动。`,
  },
  extraArgs: { en: (p) => `Added arguments: ${p.args}`, zh: (p) => `附加参数：${p.args}` },
  portShifted: { en: (p) => `Port ${p.from} is in use; using ${p.to}.`, zh: (p) => `端口 ${p.from} 已被占用，改用 ${p.to}。` },
  noPort: {
    en: (p) => `No free port between ${p.from} and ${p.to}. Close other copies of the app, or pass --port with another number.`,
    zh: (p) => `${p.from} 到 ${p.to} 之间没有空闲端口。请关闭其他正在运行的程序，或用 --port 指定其他端口。`,
  },
  logAt: { en: (p) => `Log: ${p.path}`, zh: (p) => `日志：${p.path}` },
  noLog: { en: (p) => `Cannot write the log file (${p.error}); continuing without it.`, zh: (p) => `无法写入日志文件（${p.error}），将不保存日志继续运行。` },
  spawnFailed: {
    en: (p) => `Cannot start ${p.cmd}: ${p.error}. The bundle may be incomplete: run the launcher with --check.`,
    zh: (p) => `无法启动 ${p.cmd}：${p.error}。整合包可能不完整，请使用 --check 参数运行启动器进行检查。`,
  },
  ready: { en: (p) => `Ready: ${p.url}`, zh: (p) => `已就绪：${p.url}` },
  openBrowser: { en: (p) => `Open ${p.url} in your browser.`, zh: (p) => `请在浏览器中打开 ${p.url}` },
  stopping: { en: () => `Stopping the app...`, zh: () => `正在停止程序……` },
  exited: { en: (p) => `The app exited with code ${p.code}.`, zh: (p) => `程序已退出，退出码 ${p.code}。` },
  exitedMissing: {
    en: (p) => `${p.count} file(s) of the bundle are missing (listed above): unpack the whole archive again.`,
    zh: (p) => `整合包中有 ${p.count} 个文件缺失（见上文列表）：请重新完整解压压缩包。`,
  },
  seeLog: { en: (p) => `Details are in the log: ${p.path}`, zh: (p) => `详细信息见日志：${p.path}` },
  shellStart: {
    en: (p) => `Console for ${p.title}: its Python (${p.python}) and Git come first on PATH, so python, pip and git are the bundle's. Folder: ${p.cwd}. Type exit to leave.`,
    zh: (p) => `${p.title} 命令行：整合包自带的 Python（${p.python}）和 Git 已排在 PATH 最前，python、pip、git 均为整合包内的版本。当前目录：${p.cwd}。输入 exit 退出。`,
  },
  pressEnter: { en: () => `Press Enter to close this window.`, zh: () => `按回车键关闭此窗口。` },
  failOom: {
    en: () => `The GPU ran out of memory (CUDA out of memory). Use a smaller image size or batch, close other programs that use the GPU, or start with -- --medvram (or --lowvram).`,
    zh: () => `显存不足（CUDA out of memory）。请降低图片分辨率或批量数量，关闭其他占用显卡的程序，或使用 -- --medvram（或 --lowvram）参数启动。`,
  },
  failVcRedist: {
    en: () => `A Windows system library failed to load (msvcp140.dll / c10.dll / WinError 126 or 1114). Install the Microsoft Visual C++ Redistributable 2015-2022 (x64), vc_redist.x64.exe from Microsoft, then start again.`,
    zh: () => `Windows 系统运行库加载失败（msvcp140.dll / c10.dll / WinError 126 或 1114）。请安装微软 Visual C++ 2015-2022 运行库（x64，vc_redist.x64.exe）后重新启动。`,
  },
  failPort: {
    en: () => `The app's port is already in use. Close the other program (or another copy of this app), or start with --port and another number.`,
    zh: () => `程序端口已被占用。请关闭占用端口的程序（或另一个正在运行的副本），或用 --port 指定其他端口。`,
  },
  failModule: {
    en: (p) => `A Python module is missing (${p.module}). The bundle is incomplete or was modified: run the launcher with --check, and unpack the archive again if files are missing.`,
    zh: (p) => `缺少 Python 模块（${p.module}）。整合包不完整或被修改过：请使用 --check 参数运行启动器检查，如有文件缺失请重新解压。`,
  },
  cpuBecause: {
    en: (p) => `Starting on the CPU (${p.args}), because:`,
    zh: (p) => `将使用 CPU 启动（${p.args}），原因：`,
  },
  doctorAfterFailure: {
    en: () => `What the launcher found on this machine (launcher --check shows every check):`,
    zh: () => `启动器在本机发现的问题（使用 launcher --check 可查看全部检查项）：`,
  },
  checkHeader: { en: (p) => `Checking ${p.count} files (sha256)...`, zh: (p) => `正在校验 ${p.count} 个文件（sha256）……` },
  checkOk: { en: () => `All files are intact.`, zh: () => `所有文件完好。` },
  checkProblems: { en: () => `Problems were found (see above).`, zh: () => `发现问题（见上文）。` },
} satisfies Table;

export type MsgKey = keyof typeof T;

/** The message `key` in `lang`, with parameters filled in. */
export function msg(lang: Lang, key: MsgKey, params: Record<string, string | number> = {}): string {
  return T[key][lang](params);
}
