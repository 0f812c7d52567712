# Install the built installer on this machine as a user would (silently, for this user only),
# check the installed app (the command line, the .glb association, the Start-menu entry, the
# windowed app's --self-test), then uninstall it and check that nothing of it is left.
# Usage: packaging\windows\check_installer.ps1 [-Installer dist\...-setup.exe] [-SoftwareOpenGL]
#
# -SoftwareOpenGL is for machines without a GPU driver (CI runners): Mesa's software OpenGL
# (a pinned release, its SHA-256 checked) is put next to the installed programs for the
# self-test only, and removed before the uninstall. Users' machines have a driver.
param([string]$Installer, [switch]$SoftwareOpenGL)
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..\..")

$MesaVersion = "26.2.4"
$MesaSha256 = "351FC8C8B695878FFB3EAA044B3EAD08672A48B1A045E3C3E3975811DF0F6695"

function Invoke-Checked([string]$Program, [string[]]$Arguments) {
  & $Program @Arguments
  if ($LASTEXITCODE -ne 0) { throw "$(Split-Path -Leaf $Program) $($Arguments -join ' ') failed (exit code $LASTEXITCODE)" }
}

# Runs a program to its end (at most $Seconds) and returns its exit code and what it wrote.
# Start-Process also waits for windowed programs, which & does not.
function Invoke-Waiting([string]$Program, [string[]]$Arguments, [int]$Seconds) {
  $out = New-TemporaryFile
  $process = Start-Process $Program -ArgumentList $Arguments -PassThru -NoNewWindow -RedirectStandardOutput $out
  $null = $process.Handle  # keeps the exit code readable after the process ends
  $finished = $process.WaitForExit($Seconds * 1000)
  if (-not $finished) { Stop-Process -Id $process.Id -Force }
  $text = (Get-Content $out -Raw) -as [string]
  Remove-Item $out
  Write-Host $text
  if (-not $finished) { throw "$(Split-Path -Leaf $Program) did not finish in $Seconds s" }
  return @{ Code = $process.ExitCode; Output = $text }
}

function Install-SoftwareOpenGL([string]$Folder) {
  $work = Join-Path ([IO.Path]::GetTempPath()) "aiml3d-mesa"
  New-Item -ItemType Directory -Force $work | Out-Null
  $archive = Join-Path $work "mesa3d-$MesaVersion-release-msvc.7z"
  if (-not (Test-Path $archive)) {
    Invoke-WebRequest "https://github.com/pal1000/mesa-dist-win/releases/download/$MesaVersion/mesa3d-$MesaVersion-release-msvc.7z" -OutFile $archive
  }
  if ((Get-FileHash $archive -Algorithm SHA256).Hash -ne $MesaSha256) {
    Remove-Item $archive
    throw "Mesa $MesaVersion archive: SHA-256 mismatch"
  }
  Invoke-Checked 7z @("x", "-y", "-o$work\unpacked", $archive) | Out-Null
  $dlls = Get-ChildItem "$work\unpacked\x64\*.dll"
  if (-not ($dlls | Where-Object Name -eq "opengl32.dll")) { throw "no x64\opengl32.dll in the Mesa archive" }
  $dlls | Copy-Item -Destination $Folder
  # PyOpenGL finds opengl32 on the PATH, and Qt then gets the module already loaded: both
  # must see this one. QT_OPENGL=desktop: no silent fallback to another OpenGL.
  $env:PATH = "$Folder;$env:PATH"
  $env:QT_OPENGL = "desktop"
  $env:GALLIUM_DRIVER = "llvmpipe"
  Write-Host "software OpenGL (Mesa $MesaVersion llvmpipe) next to the programs: $($dlls.Name -join ', ')"
  return $dlls.Name
}

if (-not $Installer) { $Installer = (Get-Item dist\aiml3d-desktop-*-windows-x64-setup.exe | Select-Object -First 1).FullName }
$Installer = (Resolve-Path $Installer).Path
$version = [regex]::Match((Split-Path -Leaf $Installer), "^aiml3d-desktop-(.+)-windows-x64-setup\.exe$").Groups[1].Value
if (-not $version) { throw "not an installer's name: $Installer" }
# Under LOCALAPPDATA, where a per-user install goes anyway (TEMP may be an 8.3 short path,
# which the registry would then hold instead of the long one compared below).
$dir = Join-Path $env:LOCALAPPDATA "Programs\aiml3d-check-install"
$log = Join-Path $env:LOCALAPPDATA "aiml3d-check-install.log"
if (Test-Path $dir) { Remove-Item -Recurse -Force $dir }

Write-Host "== install $Installer (version $version) into $dir"
$run = Invoke-Waiting $Installer @("/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART", "/CURRENTUSER",
    "/TASKS=associate", "/DIR=`"$dir`"", "/LOG=`"$log`"") 600
if ($run.Code -ne 0) { Get-Content $log -Tail 30 | Write-Host; throw "the installer failed (exit code $($run.Code))" }
$gui = Join-Path $dir "aiml3d-desktop.exe"
$cli = Join-Path $dir "aiml3d.exe"
foreach ($program in @($gui, $cli, (Join-Path $dir "unins000.exe"))) {
  if (-not (Test-Path $program)) { throw "not installed: $program" }
}
Write-Host "installed: $([math]::Round((Get-ChildItem $dir -Recurse | Measure-Object Length -Sum).Sum / 1024 / 1024)) MB"

Write-Host "== the command line"
$reported = & $cli --version
if ($LASTEXITCODE -ne 0 -or "$reported" -notmatch [regex]::Escape($version)) { throw "aiml3d --version said '$reported', not $version" }
$sample = Join-Path $dir "_internal\resources\samples\sample.glb"
$info = (& $cli info $sample --json) -join "`n"
if ($LASTEXITCODE -ne 0 -or $info -notmatch '"triangles": 3072') { throw "aiml3d info on the sample: $info" }
Write-Host "aiml3d $reported; info reads the sample's 3,072 triangles"

Write-Host "== the .glb association and the Start menu"
$command = (Get-ItemProperty "HKCU:\Software\Classes\AIML3D.Model\shell\open\command").'(default)'
if ($command -ne "`"$gui`" `"%1`"") { throw ".glb opens with '$command'" }
if (-not (Get-ItemProperty "HKCU:\Software\Classes\.glb\OpenWithProgids" -Name "AIML3D.Model" -ErrorAction SilentlyContinue)) {
  throw ".glb does not offer AIML3D.Model"
}
$menu = Join-Path $env:APPDATA "Microsoft\Windows\Start Menu\Programs\AIML 3D Desktop\AIML 3D Desktop.lnk"
if (-not (Test-Path $menu)) { throw "no Start-menu shortcut at $menu" }
Write-Host ".glb opens with $command; Start-menu shortcut present"

Write-Host "== self-test of the windowed app"
$added = @()
if ($SoftwareOpenGL) { $added = Install-SoftwareOpenGL $dir }
$run = Invoke-Waiting $gui @("--self-test") 300
if ($run.Code -ne 0) { throw "aiml3d-desktop --self-test failed (exit code $($run.Code))" }
if ($run.Output -notmatch "OpenGL: ") { Write-Host "::warning::no output captured from the windowed program" }
foreach ($name in $added) { Remove-Item (Join-Path $dir $name) }

Write-Host "== uninstall"
$run = Invoke-Waiting (Join-Path $dir "unins000.exe") @("/VERYSILENT", "/SUPPRESSMSGBOXES", "/NORESTART") 300
if ($run.Code -ne 0) { throw "the uninstaller failed (exit code $($run.Code))" }
# The uninstaller hands over to a copy of itself in TEMP and may end before the files go.
$deadline = (Get-Date).AddSeconds(120)
while ((Test-Path $gui) -and (Get-Date) -lt $deadline) { Start-Sleep -Seconds 1 }
if (Test-Path $gui) { throw "the uninstaller left $gui" }
if (Test-Path "HKCU:\Software\Classes\AIML3D.Model") { throw "the uninstaller left the AIML3D.Model file type" }
if (Test-Path $menu) { throw "the uninstaller left the Start-menu shortcut" }
Write-Host "installed app checked, and uninstalled cleanly"
