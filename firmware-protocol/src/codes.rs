//! Instruction codes (R30x base set + R50x extensions) and confirmation codes.

macro_rules! byte_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $b:expr),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $v,)* }
        impl $name {
            /// Wire byte.
            pub const fn to_byte(self) -> u8 { match self { $($name::$v => $b,)* } }
            /// Parses a wire byte; `None` when unknown.
            pub const fn from_byte(b: u8) -> Option<Self> { match b { $($b => Some($name::$v),)* _ => None } }
        }
    };
}

byte_enum! {
    /// Instruction code: first payload byte of a command packet.
    Instruction {
        /// 0x01 capture an image into the image buffer (poll until ok).
        GenImg = 0x01,
        /// 0x02 extract features into char buffer (param: buffer id).
        Img2Tz = 0x02,
        /// 0x03 1:1 match of char buffers 1 and 2 (reply: score u16).
        Match = 0x03,
        /// 0x04 search library (buffer, start u16, count u16; reply page u16, score u16).
        Search = 0x04,
        /// 0x05 merge char buffers 1+2 into a template.
        RegModel = 0x05,
        /// 0x06 store buffer at page (buffer, page u16).
        Store = 0x06,
        /// 0x07 load page into buffer (buffer, page u16).
        LoadChar = 0x07,
        /// 0x08 upload char buffer to host (data packets follow).
        UpChar = 0x08,
        /// 0x09 download char buffer from host (host sends data packets).
        DownChar = 0x09,
        /// 0x0A upload image to host (4-bit packed, data packets follow).
        UpImage = 0x0A,
        /// 0x0B download image from host.
        DownImage = 0x0B,
        /// 0x0C delete N templates from a page (page u16, n u16).
        DeletChar = 0x0C,
        /// 0x0D empty the library.
        Empty = 0x0D,
        /// 0x0E write a system register (register, value).
        SetSysPara = 0x0E,
        /// 0x0F read the 16-byte system parameter block.
        ReadSysPara = 0x0F,
        /// 0x12 set password (u32).
        SetPwd = 0x12,
        /// 0x13 verify password (u32).
        VfyPwd = 0x13,
        /// 0x14 random number (reply u32).
        GetRandomCode = 0x14,
        /// 0x15 set module address (u32).
        SetAdder = 0x15,
        /// 0x16 read information page (R50x).
        ReadInfPage = 0x16,
        /// 0x18 write a 32-byte notepad page.
        WriteNotepad = 0x18,
        /// 0x19 read a 32-byte notepad page.
        ReadNotepad = 0x19,
        /// 0x1B high-speed search (same parameters as Search).
        HiSpeedSearch = 0x1B,
        /// 0x1D number of stored templates (reply u16).
        TempleteNum = 0x1D,
        /// 0x1F read the index table page (reply 32-byte bitmap).
        ReadIndexTable = 0x1F,
        /// 0x28 GetImageEx (R50x): like GenImg, cc 07 on poor quality.
        GetImageEx = 0x28,
        /// 0x30 cancel auto enroll/identify (R50x).
        Cancel = 0x30,
        /// 0x31 automatic enrollment (R50x).
        AutoEnroll = 0x31,
        /// 0x32 automatic identification (R50x).
        AutoIdentify = 0x32,
        /// 0x35 Aura LED control (ctrl, speed, colour, cycles).
        AuraLedConfig = 0x35,
        /// 0x36 sensor self check (R50x).
        CheckSensor = 0x36,
        /// 0x39 algorithm version string (R50x).
        GetAlgVer = 0x39,
        /// 0x3A firmware version string (R50x).
        GetFwVer = 0x3A,
        /// 0x3C product information (R50x).
        ReadProdInfo = 0x3C,
        /// 0x3D soft reset; module then sends 0x55.
        SoftRst = 0x3D,
        /// 0x40 handshake (R50x), cc 00 = alive.
        HandShake = 0x40,
        /// 0x50 LED on (older ZFM variants).
        LedOn = 0x50,
        /// 0x51 LED off (older ZFM variants).
        LedOff = 0x51,
        /// 0x53 echo check; some modules answer cc 0x55.
        GetEcho = 0x53,
    }
}

byte_enum! {
    /// Confirmation code: first payload byte of an acknowledge packet.
    Confirmation {
        /// 0x00 success.
        Ok = 0x00,
        /// 0x01 packet receive error.
        PacketError = 0x01,
        /// 0x02 no finger on the sensor.
        NoFinger = 0x02,
        /// 0x03 enroll/capture failed.
        CaptureFailed = 0x03,
        /// 0x06 image too disorderly to extract features.
        ImageMessy = 0x06,
        /// 0x07 too few feature points / poor quality.
        TooFewFeatures = 0x07,
        /// 0x08 char buffers do not match.
        NoMatch = 0x08,
        /// 0x09 not found in library.
        NotFound = 0x09,
        /// 0x0A char files cannot be combined.
        CombineFailed = 0x0A,
        /// 0x0B page id out of range.
        BadPage = 0x0B,
        /// 0x0C template read error / invalid.
        BadTemplate = 0x0C,
        /// 0x0D template upload failed.
        UploadTemplateFailed = 0x0D,
        /// 0x0E cannot receive following data packets.
        CannotReceive = 0x0E,
        /// 0x0F image upload failed.
        UploadImageFailed = 0x0F,
        /// 0x10 delete failed.
        DeleteFailed = 0x10,
        /// 0x11 clearing the library failed.
        ClearFailed = 0x11,
        /// 0x13 wrong password.
        WrongPassword = 0x13,
        /// 0x15 no valid primary image.
        NoValidImage = 0x15,
        /// 0x18 flash write error.
        FlashError = 0x18,
        /// 0x19 undefined error.
        Undefined = 0x19,
        /// 0x1A invalid register.
        BadRegister = 0x1A,
        /// 0x1B bad register configuration.
        BadRegisterConfig = 0x1B,
        /// 0x1C wrong notepad page.
        BadNotepadPage = 0x1C,
        /// 0x1D comm port failure.
        PortFailure = 0x1D,
        /// 0x1F library full.
        LibraryFull = 0x1F,
        /// 0x20 address code error.
        AddressError = 0x20,
        /// 0x21 password must be verified first.
        PasswordRequired = 0x21,
        /// 0x22 template empty.
        TemplateEmpty = 0x22,
        /// 0x24 library empty.
        LibraryEmpty = 0x24,
        /// 0x26 timeout.
        Timeout = 0x26,
        /// 0x27 fingerprint already exists.
        AlreadyExists = 0x27,
        /// 0x29 sensor hardware error.
        SensorError = 0x29,
        /// 0x55 echo reply of GetEcho.
        Echo = 0x55,
        /// 0xFC unsupported command.
        Unsupported = 0xFC,
        /// 0xFD hardware error.
        HardwareError = 0xFD,
        /// 0xFE command execution failure.
        ExecutionFailed = 0xFE,
    }
}

impl Confirmation {
    /// What the code means, as a short sentence for logs and error messages.
    pub const fn meaning(self) -> &'static str {
        use Confirmation as C;
        match self {
            C::Ok => "command executed",
            C::PacketError => "the module failed to receive the packet",
            C::NoFinger => "no finger on the sensor",
            C::CaptureFailed => "fingerprint image capture failed",
            C::ImageMessy => "image too disorderly to extract features",
            C::TooFewFeatures => "too few feature points or poor image quality",
            C::NoMatch => "fingerprints do not match",
            C::NotFound => "no matching template in the library",
            C::CombineFailed => "the two char files cannot be combined (different fingers?)",
            C::BadPage => "page id beyond the library capacity",
            C::BadTemplate => "template read error or invalid template",
            C::UploadTemplateFailed => "template upload failed",
            C::CannotReceive => "the module cannot receive the following data packets",
            C::UploadImageFailed => "image upload failed",
            C::DeleteFailed => "deleting the template failed",
            C::ClearFailed => "clearing the library failed",
            C::WrongPassword => "wrong password",
            C::NoValidImage => "no valid primary image in the buffer",
            C::FlashError => "error writing flash",
            C::Undefined => "undefined error",
            C::BadRegister => "invalid register number",
            C::BadRegisterConfig => "invalid register configuration",
            C::BadNotepadPage => "wrong notepad page number",
            C::PortFailure => "communication port failure",
            C::LibraryFull => "the fingerprint library is full",
            C::AddressError => "address code error",
            C::PasswordRequired => "the password must be verified first",
            C::TemplateEmpty => "the template is empty",
            C::LibraryEmpty => "the fingerprint library is empty",
            C::Timeout => "the module timed out",
            C::AlreadyExists => "the fingerprint already exists",
            C::SensorError => "sensor hardware error",
            C::Echo => "echo reply (module alive)",
            C::Unsupported => "unsupported command",
            C::HardwareError => "hardware error",
            C::ExecutionFailed => "command execution failure",
        }
    }
}

impl core::fmt::Display for Confirmation {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "0x{:02X} {}", self.to_byte(), self.meaning())
    }
}
