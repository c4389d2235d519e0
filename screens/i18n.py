"""One catalogue for every UI string: the Chinese text is the key (as in gettext), English is
looked up here. Catalogue content from the hall (matter names, guides) stays as the hall wrote
it. tests/unit/test_i18n.py fails when a string shown by a screen, or a message the core or a
driver can put on a screen, has no English entry.

Messages with values (a field's label, a length limit, a scanned code) come from the core as a
kiosk.domain.message.Msg: the key here is its template, `{name}` placeholders and all, and tr()
fills the English template with the same values. Screens never build such strings themselves.
"""
from kiosk.domain.message import Msg

EN = {
    # attract
    "欢迎使用便民服务自助终端": "Welcome to the self-service terminal",
    "请将身份证放在感应区，或扫描二维码": "Place your ID card on the reader, or scan a QR code",
    "区域通办 · 就近办理 · 最多跑一次": "Served at the nearest hall · at most one visit",
    "不刷证，先看看办事指南（游客）": "Browse service guides without an ID card (guest)",
    "身份证阅读器暂不可用，请联系工作人员": "The ID card reader is not available. Please ask the staff.",
    "扫码器暂不可用，请联系工作人员": "The code scanner is not available. Please ask the staff.",
    # how to hold a code the camera sees but cannot read (kiosk/domain/scan_hint.py)
    "请把二维码拿近一些": "Hold the code closer to the camera",
    "请把手机屏幕调亮一些": "Turn your phone's screen brighter",
    "请稍微倾斜一下，避开反光": "Tilt it a little to avoid the glare",
    "请拿稳，不要晃动": "Hold it still",
    # header
    "长者模式": "Large text",
    "标准模式": "Standard text",
    "English": "English",
    "中文": "中文",
    # home
    "您好，{name}": "Hello, {name}",
    "区域通办办事": "Apply for a service",
    "信用报告查询打印\n（即将开放）": "Credit report\n(coming soon)",
    "办件进度查询\n（即将开放）": "Application progress\n(coming soon)",
    "办事指南": "Service guides",
    "退出并清除信息": "Log out and clear my data",
    # matters
    "选择事项": "Choose a service",
    "全部": "All",
    "个人办事": "Individuals",
    "企业办事": "Enterprises",
    "拼音查找": "Pinyin search",
    "返回": "Back",
    "退出": "Exit",
    "拼音首字母“{q}”：找到{n}项": "Initials “{q}”: {n} found",
    "没有找到“{q}”，请删除几个字母再试": "Nothing found for “{q}”. Delete a letter or two and try again.",
    "正在获取事项目录…": "Loading the list of services…",
    "暂时无法获取事项目录，请稍后再试或咨询工作人员": "The list of services is not available now. Please try later or ask the staff.",
    "暂无可办理的事项": "No services available",
    # guide
    "返回事项列表": "Back to the list",
    "开始办理": "Start application",
    "开始办理（请先放身份证）": "Start (place your ID card first)",
    "请先将身份证放在感应区，识别身份后即可办理": "Please place your ID card on the reader first.",
    "本事项仅受理法人（企业）申请，请由法定代表人持营业执照办理":
        "Only enterprises can apply for this service: the legal representative applies with the business licence.",
    # form
    "带 * 为必填项；标有“读自身份证”的内容无需填写": "* required; fields marked “from ID card” are filled in for you",
    "（读自身份证）": " (from ID card)",
    "有{n}项需要填写或更正，请看标红的提示": "{n} fields need your attention: see the red notes",
    "上一步": "Previous",
    "下一步：核对信息": "Next: check your application",
    "请选择": "Please choose",
    # review
    "请核对申请信息": "Please check your application",
    "返回修改": "Change",
    "确认提交": "Submit",
    "办理事项": "Service",
    "办理时限": "Time limit",
    "（未填写）": "(not filled in)",
    # submitting
    "正在提交，请稍候…": "Submitting, please wait…",
    "请不要取走身份证，也不要离开": "Please do not take your ID card or leave yet",
    # done
    "申请已提交": "Application submitted",
    "申请编号": "Application number",
    "申请已保存，待上传": "Application saved, to be uploaded",
    "本地编号": "Local number",
    "网络异常。您的申请已安全保存在本机，网络恢复后自动上报，无需再次办理。请保管好回执。":
        "Network error. Your application is safely saved on this terminal and will be sent "
        "automatically when the network is back; you need not apply again. Please keep the receipt.",
    "{matter}\n办理时限：{limit}。可凭回执二维码查询进度。": "{matter}\nTime limit: {limit}. Scan the receipt's QR code to follow progress.",
    "正在打印回执…": "Printing the receipt…",
    "回执已打印，请取走": "Receipt printed. Please take it.",
    "回执打印失败": "The receipt could not be printed",
    "完成，退出": "Done, log out",
    "重新打印回执（补打）": "Print the receipt again",
    "已打印": "Printed",
    "评价本次服务（好差评）": "Rate this service",
    # evaluate / thanks
    "请您对本次服务进行评价（好差评）": "Please rate this service",
    "提交评价": "Submit rating",
    "不满意的原因（可多选），工作人员会跟进回访：": "What went wrong? (choose any) The staff will follow up:",
    "请选择一个评价等级": "Please choose a rating",
    "请至少选择一项不满意的原因": "Please choose at least one reason",
    "感谢您的评价！": "Thank you for your rating!",
    "您的意见将送达本服务中心，不满意的评价会有专人跟进回访。\n请取走身份证和回执。":
        "Your rating reaches this service centre; the staff follow up every dissatisfied rating.\n"
        "Please take your ID card and the receipt.",
    # progress
    "办件进度查询": "Application progress",
    "我的办件": "My applications",
    "办件进度": "Application progress",
    "状态": "Status",
    "当前状态": "Status",
    "承诺办结": "due",
    "说明": "Note",
    "办理过程": "History",
    "已超承诺时限": "Past the promised time limit",
    "已超法定时限": "Past the legal time limit",
    "正在查询…": "Looking it up…",
    "没有查到您在本系统提交的申请": "No applications found for you",
    "网络中断，暂时无法查询，请稍后再试": "The network is down: please try again later",
    "暂时无法查询，请咨询工作人员": "This cannot be looked up now: please ask the staff",
    "没有查到这份申请，或它不是您本人的申请": "No such application, or it is not yours",
    "请将身份证放在感应区，以确认是本人的申请": "Place your ID card on the reader to confirm the application is yours",
    "您的身份证已过期，请使用有效证件，或到人工窗口办理": "Your ID card has expired: use a valid card or go to a service window",
    "已识别营业执照。企业信用报告查询即将开放": "Business licence recognised. Enterprise credit reports are coming soon.",
    "已识别预约码。预约签到请到取号机或窗口办理": "Appointment code recognised. Please check in at the ticket machine or a window.",
    # credit
    "信用报告查询打印": "Credit report",
    "可查询本人的信用报告，或本人担任法定代表人的企业的信用报告。":
        "You can see your own credit report, or that of an enterprise whose legal representative you are.",
    "查询本人信用报告": "My credit report",
    "查询企业信用报告（扫描电子营业执照）": "An enterprise's report (scan its e-business licence)",
    "请将企业电子营业执照二维码对准摄像头": "Hold the enterprise's e-business licence QR code up to the camera",
    "信用报告摘要": "Credit report summary",
    "打印摘要": "Print summary",
    "打印完整报告(A4)": "Print full report (A4)",
    "报告编号": "Report number",
    "信用主体": "Subject",
    "证件号码": "ID number",
    "统一社会信用代码": "Unified social credit code",
    "生成时间": "Generated",
    "核验码": "Verify code",
    "条": "",
    "其中已修复": "repaired:",
    "只能查询本人或本人担任法定代表人的企业的信用报告": "Only your own report, or that of an enterprise you legally represent, can be shown",
    "本终端未配置A4打印机，请打印摘要，或凭报告编号到窗口打印": "No A4 printer here: print the summary, or ask at a window with the report number",
    "完整报告已送打印机，请到A4打印机取件": "The full report was sent to the A4 printer",
    "完整报告已生成，请到窗口打印": "The full report is ready: ask at a window to print it",
    "信用报告摘要已打印，请取走": "Summary printed. Please take it.",
    "打印失败": "Printing failed",
    "已识别营业执照。查询企业信用报告请先放身份证，再点“信用报告查询打印”":
        "Business licence recognised. For the enterprise's credit report, place your ID card first, then tap Credit report.",
    # technician menu
    "技术人员菜单：请输入PIN": "Technician menu: enter the PIN",
    "技术人员菜单": "Technician menu",
    "确定": "OK",
    "PIN 错误": "Wrong PIN",
    "清空": "Clear",
    "删除": "Delete",
    "打印测试页": "Print a test page",
    "终端编号": "Terminal",
    "大厅地址": "Hall URL",
    "软件版本": "Version",
    "设备状态": "Devices",
    "测试页已打印": "Test page printed",
    # countdown, maintenance
    "您还在办理吗？": "Are you still there?",
    "{n} 秒后将自动退出，并清除您的信息": "Logging out and clearing your data in {n} s",
    "继续办理": "Continue",
    "终端维护中，暂停服务": "This terminal is under maintenance",
    "请到人工窗口办理，给您带来不便，敬请谅解": "Please go to a service window. We apologise for the inconvenience.",
    # submission problems (hall details stay as the hall wrote them)
    # technician menu: outbox items the hall refused (kiosk/rejected.py)
    "被退回的上传：无": "Uploads refused by the hall: none",
    "被退回的上传：{n} 件待处理": "Uploads refused by the hall: {n} to resolve",
    "再试一次": "Retry once",
    "移交窗口": "Hand to window",
    "原因": "Reason",
    "申请": "Application",
    "材料": "Material",
    "评价": "Rating",
    "待处理": "to resolve",
    "已重新排队": "queued again",
    "重试后已上传": "sent after retry",
    "已移交窗口": "handed to the window",
    "已重新排队上传": "Queued for upload again",
    "该项已处理": "This item was already resolved",
    "移交单打印失败，未移交：{detail}": "The hand-over slip did not print; nothing was handed over: {detail}",
    "移交单已打印，请交窗口工作人员": "Hand-over slip printed: give it to the window staff",
    "打印机故障": "Printer fault",
    "本机存储故障，申请未能保存，也未发送。请到人工窗口办理。":
        "This terminal cannot store your application (storage fault); nothing was sent. Please go to a service window.",
    # device problems
    "打印机缺纸，暂不能打印回执，请联系工作人员": "The printer is out of paper: receipts cannot be printed. Please ask the staff.",
    "打印机盖未关好，暂不能打印回执，请联系工作人员": "The printer cover is open: receipts cannot be printed. Please ask the staff.",
    "打印机未连接，暂不能打印回执，请联系工作人员": "The printer is not connected: receipts cannot be printed. Please ask the staff.",
    "打印机故障，暂不能打印回执，请联系工作人员": "The printer has a fault: receipts cannot be printed. Please ask the staff.",
    # -- signature pad (screens/widgets/signature_pad.py, kiosk/domain/signature.py) --
    "请在此处签名": "Sign here",
    "重写": "Clear and sign again",
    "还没有签名，请用手指在框内写下您的姓名": "There is no signature yet. Please write your name in the box with your finger.",
    "只点了一个点，请用手指在框内写下您的姓名": "That is only a dot. Please write your name in the box with your finger.",
    "签名太小，请在框内写大一些": "The signature is too small. Please write larger in the box.",
    "签名太短，请用手指在框内写下您的姓名": "The signature is too short. Please write your name in the box with your finger.",
    # -- the 申请人承诺 screen (screens/sign.py) --
    "申请人承诺": "Applicant's declaration",
    "本人承诺：所填写的申请信息及提交的材料真实、准确、完整、有效，如有虚假，愿意承担相应的法律责任。":
        "I declare that the information I filled in and the materials I provided are true, accurate, complete "
        "and valid, and I accept legal responsibility for anything false.",
    "请在下面的框内用手指写下您的姓名，然后点“确认签名并提交”。":
        "Write your name with your finger in the box below, then touch \"Sign and submit\".",
    "确认签名并提交": "Sign and submit",
    "确认无误，去签名": "All correct: sign",
    "申请人签名": "Applicant's signature",
    # progress detail (screens/progress.py): what is still to be brought to the window
    "请携带以下材料到窗口补交：": "Please bring these materials to the service window: ",
    "、": ", ",
    "：": ": ",     # label：value — the colon follows the language too
    "（": " (",
    "！": "! ",
    "）": ")",
}

EN.update({
    # form validation (kiosk/domain/form.py; {label} is the hall's field label, as it wrote it)
    "请填写{label}": "Please fill in {label}",
    "{label}最多{n}个字": "{label}: at most {n} characters",
    "{label}含有无法识别的字符": "{label} contains characters that cannot be read",
    "{label}请填写数字": "{label}: please enter a number",
    "请填写11位手机号码或带区号的固定电话": "Please enter an 11-digit mobile number, or a landline number with its area code",
    "身份证号码应为18位，现在是{n}位": "An ID number has 18 characters; this one has {n}",
    "身份证号码只能是数字，最后一位可以是X": "An ID number is all digits; only the last one may be X",
    "身份证号码校验位不符，请逐位核对": "The ID number's check digit does not match: please check it digit by digit",
    "统一社会信用代码应为18位，现在是{n}位": "A unified social credit code has 18 characters; this one has {n}",
    "统一社会信用代码前8位应为数字": "The first 8 characters of a unified social credit code are digits",
    "统一社会信用代码含有不使用的字母或符号（不用 I、O、S、V、Z）":
        "The unified social credit code has a letter or sign it never uses (no I, O, S, V or Z)",
    "统一社会信用代码校验位不符，请逐位核对":
        "The unified social credit code's check character does not match: please check it character by character",
    "统一社会信用代码有误，请核对（18位）": "The unified social credit code is not right: please check it (18 characters)",
    "请从选项中选择{label}": "Please choose {label} from the list",
    "日期格式应为 2026-01-31": "Please write the date as 2026-01-31",
    "没有{date}这一天，请核对": "There is no date {date}: please check it",
    "{label}格式不正确": "{label} is not in the right form",
    # the header's clock (a strftime format)
    "%m月%d日 %H:%M": "%d %b %H:%M",
    # input hints on empty fields (screens/form.py)
    "例如 13912345678": "e.g. 13912345678",
    "例如 2026-01-31": "e.g. 2026-01-31",
    "18位统一社会信用代码": "18-character unified social credit code",
    "18位身份证号码": "18-character ID number",
    "请填写数字": "Enter a number",
    # scanned codes (kiosk/domain/payload.py; {preview} is the code's text, escaped)
    "已识别营业执照：{uscc}": "Business licence recognised: {uscc}",
    "已识别营业执照，正在查询企业信息": "Business licence recognised: looking up the enterprise…",
    "已识别受理回执：{no}": "Receipt recognised: {no}",
    "已识别预约码：{no}": "Appointment code recognised: {no}",
    "无法识别此二维码（内容：{preview}）": "This QR code is not one this terminal can use (it reads: {preview})",
    # the hall refused a submission ({detail} is the hall's reason, as the hall wrote it)
    "申请未被受理：{detail}。请核对后重试，或咨询工作人员。":
        "The application was not accepted: {detail}. Please check it and try again, or ask the staff.",
    # printer results (drivers/printer/escpos_printer.py MESSAGES, UNCONFIRMED)
    "打印机缺纸，请联系工作人员": "The printer is out of paper. Please ask the staff.",
    "打印机盖未关好，请联系工作人员": "The printer cover is open. Please ask the staff.",
    "打印机未连接，请联系工作人员": "The printer is not connected. Please ask the staff.",
    "打印机故障，请联系工作人员": "The printer has a fault. Please ask the staff.",
    "打印机忙，请稍后再试": "The printer is busy. Please try again in a moment.",
    "打印机未确认打印完成，请查看出纸口；如未取到回执请联系工作人员":
        "The printer did not confirm the print: look at the paper slot, and if there is no receipt, ask the staff.",
    # cards the reader could not use (drivers/idcard: SW3 card statuses, incomplete reads)
    "选取证件失败，请重新放置证件": "The card could not be selected: please place it on the reader again",
    "越权操作，请重新放置证件": "The card refused the request: please place it on the reader again",
    "证件认证读卡器失败，请重新放置证件": "The card did not accept the reader: please place it on the reader again",
    "读卡器认证证件失败，证件可能无效": "The reader could not authenticate the card: it may not be valid",
    "证件信息验证错误，证件可能无效": "The card's data did not verify: the card may not be valid",
    "无法识别的证件类型": "This type of card is not recognised",
    "读取证件失败，请重新放置证件": "The card could not be read: please place it on the reader again",
    "证件信息读取不完整，请重新放置证件": "The card was read only in part: please place it on the reader again",
    "证件信息无法识别": "The card's data cannot be recognised",
})


# 申请材料 (screens/materials.py, the session's and the camera's messages)
EN.update({
    "请提交申请材料": "Submit the documents",
    "带 * 为必需材料。请逐项拍照上传；注明可窗口补交的，也可受理后带到窗口":
        "* marks required documents. Photograph each one; those marked so may instead be handed in at the counter.",
    "；可窗口补交的材料请选择“窗口补交”": "; for documents that allow it, choose “Hand in at the counter”",
    "还有{n}项必需材料未提交，请看标红的提示": "{n} required document(s) still missing: see the red notes",
    "{n}份": "{n} copies",
    "✓ 免提交：通过数据共享获取，免提交": "✓ Not needed: the department obtains it by data sharing",
    "✓ 已拍照，将随申请一并上传": "✓ Photographed; it is sent with the application",
    "窗口补交：请在受理后携带此材料到窗口": "At the counter: bring this document to the counter after submitting",
    "必需材料，尚未提交": "Required, not provided yet",
    "可选材料，没有可不提交": "Optional: skip it if you do not have it",
    "拍照": "Take photo",
    "重拍": "Retake",
    "删除照片": "Delete photo",
    "改为拍照": "Photograph instead",
    "窗口补交": "Hand in at the counter",
    "取消补交": "Undo counter choice",
    "使用此照片": "Use this photo",
    "取消，返回材料列表": "Cancel, back to the list",
    "正在拍照…": "Taking the photo…",
    "正在拍照，请保持材料不动…": "Taking the photo, keep the document still…",
    "请将材料平放在台面上，整页放入黄色框内，再按“拍照”":
        "Lay the document flat, the whole page inside the yellow frame, then press “Take photo”",
    "请看照片：文字清楚、整页完整，就按“使用此照片”；否则请重拍":
        "Check the photo: if the text is clear and the page complete, press “Use this photo”; otherwise retake it",
    "此材料不能窗口补交，请拍照上传": "This document cannot be handed in at the counter: please photograph it",
    "必需材料，请拍照上传，或选择窗口补交": "Required: photograph it, or choose to hand it in at the counter",
    "必需材料，请拍照上传": "Required: please photograph it",
    "摄像头暂不可用，请选择窗口补交": "The camera is not available: please choose to hand it in at the counter",
    "摄像头暂不可用，本机无法提交此材料，请携带材料到窗口办理此事项":
        "The camera is not available and this document cannot be submitted here: please apply at the counter with it",
    "摄像头未连接，暂不能拍照": "The camera is not connected: photos cannot be taken now",
    "摄像头故障，暂不能拍照": "The camera has a fault: photos cannot be taken now",
    "摄像头暂不可用，暂不能拍照": "The camera is not available: photos cannot be taken now",
    "本机没有摄像头，暂不能拍照": "This terminal has no camera: photos cannot be taken",
    "本机没有摄像头，不能拍照": "This terminal has no camera: photos cannot be taken",
    "摄像头暂不可用，不能拍照": "The camera is not available: the photo could not be taken",
    "摄像头没有画面，请稍候再拍，或联系工作人员": "The camera shows no picture: try again in a moment, or ask the staff",
    "照片处理失败，请重拍": "The photo could not be processed: please retake it",
    # review: each material's disposition (kiosk/domain/materials.py DISPOSITION_TEXT)
    "申请材料": "Documents",
    "已拍照上传": "Photographed",
    "免提交（数据共享）": "Not needed (data sharing)",
    "未提交": "Not provided",
})


def tr(text: str, lang: str) -> str:
    """`text` in `lang`. A Msg is translated by its template, then filled with its values (a value
    that is itself a Msg is translated too); anything without an entry stays as it is."""
    if lang != "en" or not text:
        return text
    if isinstance(text, Msg):
        template = EN.get(text.key)
        if template is None:
            return text
        return template.format(**{k: tr(v, lang) if isinstance(v, Msg) else v for k, v in text.params.items()})
    return EN.get(text, text)
