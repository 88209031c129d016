// What the doctor says about each finding, in English and 简体中文: a message (what is the case)
// and a hint (what to do; empty when nothing needs doing).

type P = Record<string, string | number>;
interface Text {
  en: (p: P) => string;
  zh: (p: P) => string;
  hint?: { en: (p: P) => string; zh: (p: P) => string };
}

const DRIVER_URL = "https://www.nvidia.com/Download/index.aspx";
const cpu = { en: "The app starts on the CPU (very slow).", zh: "程序将使用 CPU 运行（非常慢）。" };

const T = {
  noNvidiaSmi: {
    en: () => `No NVIDIA GPU found (no nvidia-smi: no NVIDIA driver installed). ${cpu.en}`,
    zh: () => `未检测到 NVIDIA 显卡（找不到 nvidia-smi，即未安装 NVIDIA 驱动）。${cpu.zh}`,
    hint: { en: () => `If this machine has an NVIDIA card, install its driver from ${DRIVER_URL} and start again.`, zh: () => `如果电脑有 NVIDIA 显卡，请从 ${DRIVER_URL} 安装显卡驱动后重新启动。` },
  },
  smiFailed: {
    en: (p) => `nvidia-smi found no usable NVIDIA GPU ("${p.detail}"). ${cpu.en}`,
    zh: (p) => `nvidia-smi 未找到可用的 NVIDIA 显卡（"${p.detail}"）。${cpu.zh}`,
    hint: { en: () => `Restart the computer after a driver update; otherwise reinstall the NVIDIA driver from ${DRIVER_URL}.`, zh: () => `如果刚更新过驱动，请重启电脑；否则请从 ${DRIVER_URL} 重新安装 NVIDIA 驱动。` },
  },
  noSuchGpu: {
    en: (p) => `--gpu ${p.index}: this machine has ${p.count} NVIDIA GPU(s), numbered 0 to ${p.last}.`,
    zh: (p) => `--gpu ${p.index}：本机只有 ${p.count} 块 NVIDIA 显卡，编号为 0 到 ${p.last}。`,
    hint: { en: () => `Pick a number from nvidia-smi's list, or leave --gpu out to use the first GPU.`, zh: () => `请按 nvidia-smi 列出的编号选择，或去掉 --gpu 使用第一块显卡。` },
  },
  driverNoNeeds: { en: (p) => `NVIDIA driver ${p.driver} (this bundle records no CUDA requirement).`, zh: (p) => `NVIDIA 驱动 ${p.driver}（此整合包未记录 CUDA 版本要求）。` },
  driverUnknown: {
    en: (p) => `The NVIDIA driver does not report its version; this bundle needs ${p.min} or newer.`,
    zh: (p) => `无法读取 NVIDIA 驱动版本；此整合包需要 ${p.min} 或更新的驱动。`,
    hint: { en: (p) => `Update the driver to ${p.min} or newer (${DRIVER_URL}).`, zh: (p) => `请将驱动更新到 ${p.min} 或更新版本（${DRIVER_URL}）。` },
  },
  driverOld: {
    en: (p) => `The NVIDIA driver ${p.driver} is older than ${p.min}, which this bundle's torch (CUDA ${p.cuda}) needs. ${cpu.en}`,
    zh: (p) => `NVIDIA 驱动版本 ${p.driver} 低于此整合包的 torch（CUDA ${p.cuda}）所需的 ${p.min}。${cpu.zh}`,
    hint: { en: (p) => `Update the NVIDIA driver to ${p.min} or newer (${DRIVER_URL}, or GeForce Experience / NVIDIA App), then start again.`, zh: (p) => `请将 NVIDIA 驱动更新到 ${p.min} 或更新版本（${DRIVER_URL}，或使用 GeForce Experience / NVIDIA App），然后重新启动。` },
  },
  driverOk: { en: (p) => `NVIDIA driver ${p.driver} (CUDA ${p.cuda} needs ${p.min} or newer).`, zh: (p) => `NVIDIA 驱动 ${p.driver}（CUDA ${p.cuda} 需要 ${p.min} 或更新版本）。` },
  archNoGpu: { en: () => `Not checked: no NVIDIA GPU.`, zh: () => `未检查：没有 NVIDIA 显卡。` },
  archNoNeeds: { en: (p) => `${p.name}: the bundle records no GPU architecture list; not checked.`, zh: (p) => `${p.name}：整合包未记录支持的显卡架构，未检查。` },
  archUnknown: {
    en: (p) => `${p.name}: the driver is too old to report the GPU's compute capability; not checked.`,
    zh: (p) => `${p.name}：驱动版本过旧，无法读取显卡的计算能力，未检查。`,
    hint: { en: () => `Update the NVIDIA driver (${DRIVER_URL}).`, zh: () => `请更新 NVIDIA 驱动（${DRIVER_URL}）。` },
  },
  archOk: { en: (p) => `${p.name} (compute capability ${p.cc}) is supported by this bundle's torch.`, zh: (p) => `${p.name}（计算能力 ${p.cc}）受此整合包的 torch 支持。` },
  archTooNew: {
    en: (p) => `${p.name} (compute capability ${p.cc}) is newer than every GPU ${p.torch} has kernels for (${p.archs}). ${cpu.en}`,
    zh: (p) => `${p.name}（计算能力 ${p.cc}）比 ${p.torch} 支持的所有显卡架构（${p.archs}）都新。${cpu.zh}`,
    hint: { en: () => `This GPU needs a bundle built with a newer torch (for RTX 50xx: a CUDA 12.8 build). Ask for or download a newer release of this bundle.`, zh: () => `这块显卡需要使用更新版本 torch 制作的整合包（RTX 50 系列需要 CUDA 12.8 版本）。请获取此整合包的新版本。` },
  },
  archTooOld: {
    en: (p) => `${p.name} (compute capability ${p.cc}) is older than the GPUs ${p.torch} has kernels for (${p.archs}). ${cpu.en}`,
    zh: (p) => `${p.name}（计算能力 ${p.cc}）比 ${p.torch} 支持的显卡架构（${p.archs}）更旧。${cpu.zh}`,
    hint: { en: () => `This GPU is too old for this bundle; only the CPU can run it.`, zh: () => `这块显卡对此整合包来说过旧，只能使用 CPU 运行。` },
  },
  vramNoGpu: { en: () => `Not checked: no NVIDIA GPU.`, zh: () => `未检查：没有 NVIDIA 显卡。` },
  vramLow: {
    en: (p) => `The GPU has ${p.gb} GiB of memory, below ${p.below} GiB: the app starts with ${p.args} and is slower.`,
    zh: (p) => `显存 ${p.gb} GiB，低于 ${p.below} GiB：程序将使用 ${p.args} 参数启动，速度较慢。`,
    hint: { en: () => `Use small image sizes and close other programs that use the GPU.`, zh: () => `请使用较小的图片尺寸，并关闭其他占用显卡的程序。` },
  },
  vramOk: { en: (p) => `${p.gb} GiB of GPU memory (arguments: ${p.args}).`, zh: (p) => `显存 ${p.gb} GiB（参数：${p.args}）。` },
  filesOk: { en: () => `Every file of the bundle is in place.`, zh: () => `整合包的文件完整。` },
  filesDamaged: {
    en: (p) => `The file list in bundle.json cannot be used (${p.error}).`,
    zh: (p) => `bundle.json 中的文件清单无法使用（${p.error}）。`,
    hint: { en: () => `Unpack the whole archive again into a new folder.`, zh: () => `请把整个压缩包重新解压到一个新文件夹。` },
  },
  filesNoPython: {
    en: () => `The bundled Python interpreter is missing.`,
    zh: () => `整合包内置的 Python 解释器缺失。`,
    hint: { en: () => `Unpack the whole archive again; if an antivirus program removed it, restore it and add the folder to its exclusions.`, zh: () => `请重新完整解压压缩包；如果被杀毒软件删除，请恢复文件并把整合包文件夹加入白名单。` },
  },
  filesMissing: {
    en: (p) => `${p.count} file(s) of the bundle are missing (${p.first}, ...).`,
    zh: (p) => `整合包中有 ${p.count} 个文件缺失（${p.first} 等）。`,
    hint: { en: () => `Unpack the whole archive again (7-Zip or Windows Explorer, into a new folder); if an antivirus program removed files, restore them and add the folder to its exclusions.`, zh: () => `请重新完整解压压缩包（用 7-Zip 或资源管理器解压到新文件夹）；如果是杀毒软件删除了文件，请恢复并把文件夹加入白名单。` },
  },
  filesBadJson: {
    en: (p) => `${p.files}: changed, and no longer valid JSON; the app may stop at start because of it.`,
    zh: (p) => `${p.files}：已被修改，且不再是有效的 JSON；程序可能因此无法启动。`,
    hint: { en: () => `Undo the edit, or delete the file to get the release's settings back (unpack it again from the archive).`, zh: () => `请撤销修改，或删除该文件后从压缩包中重新解压出原文件，恢复发布时的设置。` },
  },
  filesChanged: {
    en: (p) => `${p.count} file(s) differ from the release (${p.first}, ...).`,
    zh: (p) => `有 ${p.count} 个文件与发布版本不同（${p.first} 等）。`,
    hint: { en: () => `If you did not edit them yourself, unpack the archive again.`, zh: () => `如果不是你自己修改的，请重新解压。` },
  },
  pathOk: { en: (p) => `Bundle folder: ${p.path}`, zh: (p) => `整合包位置：${p.path}` },
  pathReadOnly: {
    en: (p) => `The bundle folder cannot be written to (${p.path}); the app writes its settings, caches and images there.`,
    zh: (p) => `整合包文件夹不可写（${p.path}）；程序需要在其中保存设置、缓存和图片。`,
    hint: { en: () => `Move the folder somewhere your user can write, such as D:\\AI.`, zh: () => `请把文件夹移动到当前用户可写入的位置，例如 D:\\AI。` },
  },
  pathProgramFiles: {
    en: (p) => `The bundle is inside ${p.path}, where programs without administrator rights may not write.`,
    zh: (p) => `整合包位于 ${p.path} 内，没有管理员权限的程序可能无法在此写入。`,
    hint: { en: () => `Move the folder to a plain path such as D:\\AI\\sd.`, zh: () => `请把文件夹移动到普通路径，例如 D:\\AI\\sd。` },
  },
  pathOneDrive: {
    en: (p) => `The bundle is inside OneDrive (${p.path}): OneDrive uploads gigabytes of it and may keep files only online.`,
    zh: (p) => `整合包位于 OneDrive 同步文件夹内（${p.path}）：OneDrive 会上传数 GB 的文件，并可能只在云端保留文件。`,
    hint: { en: () => `Move the folder out of OneDrive (Desktop and Documents are often synced), e.g. to D:\\AI.`, zh: () => `请把文件夹移出 OneDrive（桌面和“文档”常被同步），例如移动到 D:\\AI。` },
  },
  pathTooLong: {
    en: (p) => `Some files end up ${p.len} characters deep, over Windows' 260-character limit, and long paths are not enabled.`,
    zh: (p) => `部分文件的完整路径长达 ${p.len} 个字符，超过 Windows 260 个字符的限制，且系统未启用长路径。`,
    hint: { en: () => `Move the folder closer to the drive root (for example D:\\sd), or enable long paths (LongPathsEnabled in the registry, or the group policy "Enable Win32 long paths").`, zh: () => `请把文件夹移动到更短的路径（例如 D:\\sd），或启用长路径（注册表 LongPathsEnabled，或组策略“启用 Win32 长路径”）。` },
  },
  pathFat: {
    en: (p) => `The bundle is on a ${p.fs} drive: no file may exceed 4 GiB, and git cannot check the owner of its repositories.`,
    zh: (p) => `整合包位于 ${p.fs} 格式的磁盘上：单个文件不能超过 4 GiB，git 也无法确认仓库的所有者。`,
    hint: { en: () => `Move the folder to an NTFS (Windows) or ext4 (Linux) drive.`, zh: () => `请把文件夹移动到 NTFS（Windows）或 ext4（Linux）格式的磁盘。` },
  },
  pathFat32Big: {
    en: (p) => `The bundle is on a ${p.fs} drive, which cannot hold its files of 4 GiB and more: they are damaged or missing.`,
    zh: (p) => `整合包位于 ${p.fs} 格式的磁盘上，无法保存 4 GiB 及以上的文件：这些文件已损坏或缺失。`,
    hint: { en: () => `Unpack the archive again onto an NTFS (Windows) or ext4 (Linux) drive.`, zh: () => `请把压缩包重新解压到 NTFS（Windows）或 ext4（Linux）格式的磁盘。` },
  },
  pathExfat: {
    en: () => `The bundle is on an exFAT drive: git cannot check the owner of its repositories there (the launcher allows the bundled ones), and there are no links or permissions.`,
    zh: () => `整合包位于 exFAT 格式的磁盘上：git 无法确认仓库的所有者（启动器已允许整合包自带的仓库），且不支持链接和权限。`,
    hint: { en: () => `If extensions or updates fail, move the folder to an NTFS drive.`, zh: () => `如果扩展或更新失败，请把文件夹移动到 NTFS 格式的磁盘。` },
  },
  pathNetwork: {
    en: (p) => `The bundle is on a network drive (${p.fs}): loading models is slow and git may refuse its repositories.`,
    zh: (p) => `整合包位于网络驱动器上（${p.fs}）：加载模型会很慢，git 也可能拒绝使用其中的仓库。`,
    hint: { en: () => `Copy the folder to a local drive.`, zh: () => `请把文件夹复制到本地磁盘。` },
  },
  pathNonAscii: {
    en: (p) => `The folder path contains non-ASCII characters (${p.path}); some Python packages fail on such paths.`,
    zh: (p) => `路径包含中文或其他非英文字符（${p.path}），部分 Python 组件不支持此类路径。`,
    hint: { en: () => `If the app fails to start, move the folder to a plain path such as D:\\AI\\bundle.`, zh: () => `如果启动失败，请把文件夹移动到纯英文路径，例如 D:\\AI\\bundle。` },
  },
  pathSpaces: {
    en: (p) => `The folder path contains spaces (${p.path}).`,
    zh: (p) => `路径包含空格（${p.path}）。`,
    hint: { en: () => `If the app fails to start, move the folder to a path without spaces.`, zh: () => `如果启动失败，请把文件夹移动到不含空格的路径。` },
  },
  vcNotNeeded: { en: () => `No bundled package needs the Visual C++ runtime.`, zh: () => `没有组件需要 Visual C++ 运行库。` },
  vcBundled: { en: () => `The Visual C++ runtime DLLs are in the bundle's Python folder.`, zh: () => `Visual C++ 运行库已包含在整合包的 Python 文件夹中。` },
  vcSystem: { en: (p) => `Windows provides ${p.files} (System32).`, zh: (p) => `${p.files} 由 Windows 系统（System32）提供。` },
  vcMissing: {
    en: (p) => `${p.files}, which ${p.packages} load(s), are neither in the bundle nor in Windows: the app would fail with "WinError 126".`,
    zh: (p) => `${p.packages} 需要的 ${p.files} 既不在整合包中，也不在系统中：程序会报错“WinError 126”。`,
    hint: { en: () => `Install the Microsoft Visual C++ Redistributable 2015-2022 (x64), vc_redist.x64.exe from Microsoft (https://aka.ms/vs/17/release/vc_redist.x64.exe).`, zh: () => `请安装微软 Visual C++ 2015-2022 运行库（x64）：https://aka.ms/vs/17/release/vc_redist.x64.exe` },
  },
  libsNotNeeded: { en: () => `No bundled package needs extra system libraries.`, zh: () => `没有组件需要额外的系统库。` },
  libsOk: { en: (p) => `System libraries found: ${p.libs}.`, zh: (p) => `已找到所需系统库：${p.libs}。` },
  libsMissing: {
    en: (p) => `${p.packages} need(s) ${p.libs}, which this system does not have.`,
    zh: (p) => `${p.packages} 需要系统库 ${p.libs}，但本系统没有。`,
    hint: { en: (p) => `Install them with the system's package manager (Debian/Ubuntu, Fedora: ${p.install}).`, zh: (p) => `请用系统的包管理器安装（Debian/Ubuntu、Fedora：${p.install}）。` },
  },
  gitOk: { en: (p) => `git: ${p.git}`, zh: (p) => `git：${p.git}` },
  gitBundledMissing: {
    en: () => `The bundled git is missing.`,
    zh: () => `整合包自带的 git 缺失。`,
    hint: { en: () => `Unpack the whole archive again.`, zh: () => `请重新完整解压压缩包。` },
  },
  gitMissing: {
    en: () => `git is not installed; the app cannot show version facts or install or update extensions.`,
    zh: () => `系统未安装 git；程序无法显示版本信息，也无法安装或更新扩展。`,
    hint: { en: () => `Install git with the system's package manager (apt install git, dnf install git).`, zh: () => `请用系统的包管理器安装 git（apt install git、dnf install git）。` },
  },
  proxyNone: { en: () => `No proxy is set.`, zh: () => `未设置代理。` },
  proxyLoopbackExcluded: { en: (p) => `Proxy ${p.proxies}; local addresses bypass it.`, zh: (p) => `代理 ${p.proxies}；本地地址不经过代理。` },
  proxySet: {
    en: (p) => `A proxy is set (${p.proxies}) and local addresses are not excluded: the app's requests to 127.0.0.1 may go through it and fail.`,
    zh: (p) => `已设置代理（${p.proxies}），且未排除本地地址：程序访问 127.0.0.1 的请求可能经过代理而失败。`,
    hint: { en: () => `Add localhost,127.0.0.1,::1 to NO_PROXY, or turn the proxy tool's "system proxy" off while using the app.`, zh: () => `请把 localhost,127.0.0.1,::1 加入 NO_PROXY，或在使用时关闭代理软件的“系统代理”。` },
  },
  portOk: { en: (p) => `Port ${p.port} is free.`, zh: (p) => `端口 ${p.port} 可用。` },
  portShifted: {
    en: (p) => `Port ${p.from} is in use; ${p.to} will be used.`,
    zh: (p) => `端口 ${p.from} 已被占用，将改用 ${p.to}。`,
    hint: { en: () => `Another copy of the app may be running: close it if you did not mean to start two.`, zh: () => `可能已有另一个程序副本在运行；如非有意同时运行两个，请先关闭它。` },
  },
  portNone: {
    en: (p) => `No free port between ${p.from} and ${p.to}.`,
    zh: (p) => `${p.from} 到 ${p.to} 之间没有空闲端口。`,
    hint: { en: () => `Close other copies of the app, or start with --port and another number.`, zh: () => `请关闭其他正在运行的程序，或用 --port 指定其他端口。` },
  },
  diskUnknown: { en: () => `Free disk space could not be read.`, zh: () => `无法读取磁盘剩余空间。` },
  diskOk: { en: (p) => `${p.gb} GiB free on the bundle's drive.`, zh: (p) => `整合包所在磁盘剩余 ${p.gb} GiB。` },
  diskLow: {
    en: (p) => `Only ${p.gb} GiB free on the bundle's drive; caches and images need room.`,
    zh: (p) => `整合包所在磁盘仅剩 ${p.gb} GiB，缓存和图片需要空间。`,
    hint: { en: () => `Free some space (5 GiB or more).`, zh: () => `请清理出至少 5 GiB 的空间。` },
  },
  diskFull: {
    en: (p) => `The bundle's drive is almost full (${p.gb} GiB free): the app cannot write its caches and images.`,
    zh: (p) => `整合包所在磁盘几乎已满（剩余 ${p.gb} GiB）：程序无法写入缓存和图片。`,
    hint: { en: () => `Free some space (5 GiB or more), or move the folder to another drive.`, zh: () => `请清理出至少 5 GiB 的空间，或把文件夹移动到其他磁盘。` },
  },
} satisfies Record<string, Text>;

export type DoctorKey = keyof typeof T;

/** The message and hint of `key` in `lang` ("" when there is no hint). */
export function doctorText(lang: "en" | "zh", key: DoctorKey, params: P = {}): { message: string; hint: string } {
  const t: Text = T[key];
  return { message: t[lang](params), hint: t.hint ? t.hint[lang](params) : "" };
}
