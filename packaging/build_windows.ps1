# Build the Windows app: the PyInstaller folder dist\aiml3d-desktop\ (aiml3d-desktop.exe,
# aiml3d.exe), then the installer dist\aiml3d-desktop-VERSION-windows-x64-setup.exe with Inno
# Setup 6's iscc (https://jrsoftware.org/isinfo.php).
#   -Step all        both; without iscc, the folder only (the default)
#   -Step bundle     the folder only
#   -Step installer  the installer from a folder already built; iscc must be there (it is
#                    installed with Chocolatey if it can be). The release workflow runs the
#                    two steps apart, so that no secret is about while pip and PyInstaller run.
#
# Signing, when a code-signing certificate is given: WINDOWS_SIGN_CERT_SHA1 (the thumbprint of
# one in the certificate store, which is where the clients of hardware and cloud key services
# put it) or WINDOWS_SIGN_PFX (a .pfx file) or WINDOWS_SIGN_PFX_BASE64 (its bytes in base64),
# with WINDOWS_SIGN_PASSWORD. The two programs are signed before Inno Setup packs them; Inno
# Setup signs the installer and its uninstaller. WINDOWS_SIGN_TIMESTAMP_URL overrides the
# timestamp server.
#
# Python: $env:PYTHON, else the python on the PATH, else the py launcher's newest Python 3.
# On Python 3.11 the build takes constraints.txt's versions (the ones CI tests).
# Run it with: powershell -ExecutionPolicy Bypass -File packaging\build_windows.ps1
param([ValidateSet("all", "bundle", "installer")][string]$Step = "all")
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")

# PowerShell does not stop when a program fails; every program run goes through this.
function Invoke-Checked([string]$Program, [string[]]$Arguments) {
  & $Program @Arguments
  if ($LASTEXITCODE -ne 0) { throw "$(Split-Path -Leaf $Program) failed (exit code $LASTEXITCODE)" }
}

function Find-Python {
  if ($env:PYTHON) { return $env:PYTHON }
  $onPath = Get-Command python -ErrorAction SilentlyContinue
  if ($onPath) { return $onPath.Source }
  return (& py -3 -c "import sys; print(sys.executable)")
}

function Find-Iscc {
  $onPath = Get-Command iscc -ErrorAction SilentlyContinue
  if ($onPath) { return $onPath.Source }
  foreach ($root in @(${env:ProgramFiles(x86)}, $env:ProgramFiles)) {
    if ($root -and (Test-Path "$root\Inno Setup 6\ISCC.exe")) { return "$root\Inno Setup 6\ISCC.exe" }
  }
  return $null
}

function Find-SignTool {
  $onPath = Get-Command signtool -ErrorAction SilentlyContinue
  if ($onPath) { return $onPath.Source }
  $kits = Get-ChildItem "${env:ProgramFiles(x86)}\Windows Kits\10\bin\*\x64\signtool.exe" -ErrorAction SilentlyContinue |
    Sort-Object FullName -Descending | Select-Object -First 1
  if (-not $kits) { throw "signtool.exe not found: install the Windows SDK to sign" }
  return $kits.FullName
}

# signtool's arguments before the file names, or nothing when no certificate is given.
function Get-SignArguments([string]$Pfx) {
  $timestamp = if ($env:WINDOWS_SIGN_TIMESTAMP_URL) { $env:WINDOWS_SIGN_TIMESTAMP_URL } else { "http://timestamp.digicert.com" }
  $common = @("sign", "/fd", "SHA256", "/tr", $timestamp, "/td", "SHA256")
  if ($env:WINDOWS_SIGN_CERT_SHA1) { return $common + @("/sha1", $env:WINDOWS_SIGN_CERT_SHA1) }
  if (-not $Pfx) { return @() }
  $password = if ($env:WINDOWS_SIGN_PASSWORD) { @("/p", $env:WINDOWS_SIGN_PASSWORD) } else { @() }
  return $common + @("/f", $Pfx) + $password
}

function Build-Bundle {
  $venv = "packaging\build\venv"
  $python = "$venv\Scripts\python.exe"
  if (-not (Test-Path $python)) { Invoke-Checked (Find-Python) @("-m", "venv", $venv) }
  Invoke-Checked $python @("-m", "pip", "install", "-q", "--upgrade", "pip")
  $constraints = @()
  & $python -c "import sys; sys.exit(sys.version_info[:2] != (3, 11))"
  if ($LASTEXITCODE -eq 0) { $constraints = @("-c", "constraints.txt") }
  Invoke-Checked $python (@("-m", "pip", "install", "-q") + $constraints + @("-e", ".[build]"))
  Invoke-Checked $python @("packaging\make_icons.py", "packaging\build\icons")
  Copy-Item packaging\build\icons\aiml3d.ico packaging\build\aiml3d.ico
  Invoke-Checked "$venv\Scripts\pyinstaller.exe" @("--noconfirm", "--clean", "--log-level", "WARN",
      "--distpath", "dist", "--workpath", "packaging\build\work", "packaging\aiml3d.spec")
}

function Build-Installer([string]$Iscc) {
  if (-not (Test-Path "dist\aiml3d-desktop\aiml3d-desktop.exe")) { throw "no dist\aiml3d-desktop\ yet: run -Step bundle first" }
  $version = & "packaging\build\venv\Scripts\python.exe" -c "import aiml3d_desktop; print(aiml3d_desktop.__version__)"
  $pfx = $env:WINDOWS_SIGN_PFX
  $decoded = $null
  if (-not $pfx -and $env:WINDOWS_SIGN_PFX_BASE64) {
    $decoded = Join-Path ([IO.Path]::GetTempPath()) "aiml3d-sign-$PID.pfx"
    [IO.File]::WriteAllBytes($decoded, [Convert]::FromBase64String($env:WINDOWS_SIGN_PFX_BASE64))
    $pfx = $decoded
  }
  try {
    $sign = Get-SignArguments $pfx
    $isccArguments = @("/Q", "/DAppVersion=$version")
    if ($sign) {
      $signtool = Find-SignTool
      Invoke-Checked $signtool ($sign + @("dist\aiml3d-desktop\aiml3d-desktop.exe", "dist\aiml3d-desktop\aiml3d.exe"))
      # Inno Setup runs this for the installer and the uninstaller: $q is a quote, $f the
      # file's name (quoted by Inno Setup).
      $command = (@($signtool) + $sign | ForEach-Object { '$q' + $_ + '$q' }) -join " "
      $isccArguments += @("/DSign", "/Saiml3d=$command `$f")
    } else {
      Write-Host "No signing certificate given: the programs and the installer are unsigned"
    }
    Invoke-Checked $Iscc ($isccArguments + @("packaging\windows\aiml3d.iss"))
    Write-Host "built dist\aiml3d-desktop-$version-windows-x64-setup.exe$(if ($sign) { ', signed' })"
  } finally {
    if ($decoded) { Remove-Item $decoded -Force -ErrorAction SilentlyContinue }
  }
}

if ($Step -ne "installer") { Build-Bundle }
if ($Step -ne "bundle") {
  $iscc = Find-Iscc
  if (-not $iscc -and $Step -eq "installer" -and (Get-Command choco -ErrorAction SilentlyContinue)) {
    Invoke-Checked choco @("install", "innosetup", "--no-progress", "-y")  # CI images may lack it
    $iscc = Find-Iscc
  }
  if ($iscc) {
    Build-Installer $iscc
  } elseif ($Step -eq "installer") {
    throw "Inno Setup's iscc not found (install Inno Setup 6)"
  } else {
    Write-Host "Inno Setup (iscc) not found: built dist\aiml3d-desktop\ only"
  }
}
