// Emoji for the picker: grouped by category, each with English and Chinese search words.
// Pure data and a search function; the picker view draws it.

const raw = {
  smileys: `
😀 grin happy smile 笑 开心 高兴
😃 smile happy joy 笑 开心
😄 laugh smile happy 大笑 开心
😁 grin beam teeth 咧嘴 笑
😆 laugh squint haha 哈哈 大笑
😅 sweat relief nervous 汗 尴尬
🤣 rofl rolling laugh 笑死 打滚
😂 joy tears laugh lol 笑哭 哭笑
🙂 slight smile ok 微笑
🙃 upside down silly 倒脸 调皮
😉 wink 眨眼
😊 blush smile shy 害羞 微笑
😇 angel innocent halo 天使 无辜
🥰 love hearts adore 喜爱 爱心
😍 heart eyes love 花痴 喜欢
🤩 star struck wow 崇拜 星星眼
😘 kiss blow 飞吻 亲
😋 yum tasty delicious 好吃 馋
😛 tongue playful 吐舌
😜 wink tongue crazy 调皮
🤪 zany crazy goofy 疯狂 搞怪
🤗 hug hugging 拥抱
🤭 giggle oops hand over mouth 偷笑 捂嘴
🤫 shush quiet secret 嘘 安静
🤔 thinking hmm 思考 想
🤐 zipper mouth secret 闭嘴
😐 neutral meh 面无表情
😑 expressionless 无语
😶 no mouth silent 沉默
😏 smirk 得意 坏笑
😒 unamused meh 不爽 无聊
🙄 eye roll 翻白眼
😬 grimace awkward 尴尬 龇牙
😌 relieved calm 放松 欣慰
😔 pensive sad 沮丧 失落
😪 sleepy 困
😴 sleeping zzz 睡觉
😷 mask sick 口罩 生病
🤒 thermometer sick fever 发烧
🤯 mind blown exploding 震惊 炸了
🥳 party celebrate 庆祝 派对
😎 cool sunglasses 酷 墨镜
🤓 nerd geek 书呆子
🧐 monocle curious 研究 好奇
😕 confused 困惑
😟 worried 担心
😮 open mouth surprised 惊讶
😲 astonished shocked 震惊
🥺 pleading puppy eyes 可怜 求求
😢 cry sad tear 哭 难过
😭 sob crying loudly 大哭 痛哭
😱 scream fear 尖叫 吓
😤 triumph huff 生气 哼
😡 angry mad rage 愤怒 生气
🤬 cursing swearing 骂人
😈 devil smiling imp 恶魔
💀 skull dead 骷髅 死了
💩 poop 便便
🤡 clown 小丑
👻 ghost boo 幽灵 鬼
🤖 robot bot 机器人
😺 cat smile 猫 笑
🙈 see no evil monkey 不看 猴子
🙉 hear no evil monkey 不听
🙊 speak no evil monkey 不说`,
  people: `
👋 wave hello bye hi 挥手 你好 再见
🤚 raised back hand 举手
✋ raised hand stop high five 手掌 停
🖐️ hand fingers splayed 手
👌 ok perfect 好的 没问题
🤌 pinched fingers italian 捏手指
✌️ victory peace 胜利 耶
🤞 fingers crossed luck 祈祷 好运
🤟 love you gesture 爱你
🤘 rock on horns 摇滚
🤙 call me shaka 打电话
👈 point left 左
👉 point right 右
👆 point up 上
👇 point down 下
☝️ index up one 一
👍 thumbs up like yes good 赞 好 点赞
👎 thumbs down dislike no 踩 不好
✊ raised fist 拳头
👊 fist bump punch 碰拳
👏 clap applause bravo 鼓掌 拍手
🙌 raising hands hooray 欢呼 举双手
👐 open hands 张开双手
🤲 palms up together 捧
🤝 handshake deal agree 握手 合作
🙏 pray please thanks 拜托 谢谢 祈祷
✍️ writing hand 写字
💪 muscle strong flex 加油 肌肉 强
🧠 brain smart 大脑 聪明
👀 eyes look see 看 眼睛
👁️ eye 眼
👶 baby 宝宝 婴儿
🧑 person 人
👨‍💻 man technologist developer coder 程序员
👩‍💻 woman technologist developer coder 程序员
🧑‍🏫 teacher 老师
🧑‍🍳 cook chef 厨师
🕺 dance man 跳舞
💃 dance woman 跳舞
🏃 run running 跑步
🙋 raising hand question 举手 提问
🙆 ok gesture 好的
🙅 no gesture 不行
🤷 shrug dunno 耸肩 不知道
🤦 facepalm 捂脸 无奈
🙇 bow sorry 鞠躬 抱歉
👯 party dancers 派对
🧘 yoga meditate 冥想`,
  nature: `
🐶 dog puppy 狗 小狗
🐱 cat kitten 猫 小猫
🐭 mouse 老鼠
🐹 hamster 仓鼠
🐰 rabbit bunny 兔子
🦊 fox 狐狸
🐻 bear 熊
🐼 panda 熊猫
🐨 koala 考拉
🐯 tiger 老虎
🦁 lion 狮子
🐮 cow 牛
🐷 pig 猪
🐸 frog 青蛙
🐵 monkey 猴子
🐔 chicken 鸡
🐧 penguin 企鹅
🐦 bird 鸟
🦆 duck 鸭子
🦉 owl 猫头鹰
🐴 horse 马
🦄 unicorn 独角兽
🐝 bee 蜜蜂
🦋 butterfly 蝴蝶
🐌 snail slow 蜗牛 慢
🐢 turtle slow 乌龟
🐍 snake 蛇
🐙 octopus 章鱼
🐬 dolphin 海豚
🐳 whale 鲸鱼
🦈 shark 鲨鱼
🌸 cherry blossom flower 樱花 花
🌹 rose flower 玫瑰
🌻 sunflower 向日葵
🌷 tulip 郁金香
🌱 seedling sprout 发芽 幼苗
🌲 tree evergreen 树
🍀 clover luck 四叶草 幸运
🍁 maple leaf autumn 枫叶 秋天
🌈 rainbow 彩虹
☀️ sun sunny 太阳 晴天
🌙 moon night 月亮 晚上
⭐ star 星星
🌟 glowing star 闪亮
⚡ lightning zap 闪电
🔥 fire hot lit 火 火热
❄️ snow cold 雪 冷
🌧️ rain 雨
🌊 wave ocean 海浪`,
  food: `
🍎 apple 苹果
🍊 orange 橙子 橘子
🍋 lemon 柠檬
🍌 banana 香蕉
🍉 watermelon 西瓜
🍇 grapes 葡萄
🍓 strawberry 草莓
🍑 peach 桃子
🥭 mango 芒果
🍍 pineapple 菠萝
🥝 kiwi 猕猴桃
🥑 avocado 牛油果
🌶️ chili pepper hot 辣椒 辣
🌽 corn 玉米
🍞 bread 面包
🥐 croissant 可颂
🧀 cheese 奶酪
🍳 egg cooking 煎蛋
🍔 burger hamburger 汉堡
🍟 fries 薯条
🍕 pizza 披萨
🌭 hot dog 热狗
🥟 dumpling 饺子
🍜 noodles ramen 面条 拉面
🍚 rice 米饭
🍣 sushi 寿司
🍱 bento 便当
🥮 mooncake 月饼
🍦 ice cream 冰淇淋
🍩 donut 甜甜圈
🍪 cookie 饼干
🎂 birthday cake 生日蛋糕
🍰 cake 蛋糕
🍫 chocolate 巧克力
🍬 candy 糖果
☕ coffee 咖啡
🍵 tea 茶
🧋 bubble tea boba 奶茶 珍珠奶茶
🥤 soda drink 饮料
🍺 beer 啤酒
🍻 cheers beers 干杯
🍷 wine 红酒
🥂 toast champagne 干杯 庆祝`,
  activity: `
🎉 party tada celebrate 庆祝 撒花
🎊 confetti 彩带
🎈 balloon 气球
🎁 gift present 礼物
🎄 christmas tree 圣诞树
🧧 red envelope hongbao 红包
🏮 lantern 灯笼
🎆 fireworks 烟花
⚽ soccer football 足球
🏀 basketball 篮球
🏈 american football 橄榄球
⚾ baseball 棒球
🎾 tennis 网球
🏐 volleyball 排球
🏓 ping pong table tennis 乒乓球
🏸 badminton 羽毛球
🥊 boxing 拳击
⛳ golf 高尔夫
🎯 target bullseye goal 目标 靶心
🎮 video game 游戏
🕹️ joystick 摇杆
🎲 dice game 骰子
🧩 puzzle 拼图
♟️ chess 象棋
🎨 art paint 艺术 画
🎬 movie film 电影
🎤 microphone sing karaoke 唱歌 麦克风
🎧 headphones music 耳机 音乐
🎸 guitar 吉他
🎹 piano 钢琴
🏆 trophy win 奖杯 冠军
🥇 gold medal first 金牌 第一
🏅 medal 奖牌`,
  travel: `
🚗 car 汽车
🚕 taxi 出租车
🚌 bus 公交车
🚇 metro subway 地铁
🚄 train fast 高铁 火车
✈️ airplane plane flight 飞机
🚀 rocket launch ship 火箭 上线 发布
🛸 ufo 飞碟
🚲 bicycle bike 自行车
🛵 scooter 电动车
⛵ sailboat 帆船
🚢 ship 轮船
🏠 house home 房子 家
🏢 office building 办公楼 公司
🏫 school 学校
🏥 hospital 医院
🏖️ beach vacation 海滩 度假
⛰️ mountain 山
🗻 fuji 富士山
🏕️ camping 露营
🌃 night city 夜景
🌅 sunrise 日出
🗺️ map 地图
🧭 compass 指南针
🏯 castle 城堡
🗼 tower 塔
⛩️ shrine 神社
🌏 globe asia earth 地球`,
  objects: `
⌚ watch 手表
📱 phone mobile 手机
💻 laptop computer 电脑 笔记本
🖥️ desktop computer 台式机
⌨️ keyboard 键盘
🖱️ mouse computer 鼠标
🖨️ printer 打印机
💾 floppy save 保存 软盘
📷 camera photo 相机 拍照
🎥 video camera 摄像机
📞 telephone call 电话
🔋 battery 电池
🔌 plug 插头
💡 idea light bulb 想法 灯泡 主意
🔦 flashlight 手电筒
📚 books read 书 阅读
📖 book 书
📝 memo note write 笔记 备忘
✏️ pencil 铅笔
📌 pin 图钉 置顶
📎 paperclip attachment 回形针 附件
📅 calendar date 日历
📊 chart bar stats 图表 统计
📈 chart up growth 增长 上涨
📉 chart down 下跌
🗂️ folders 文件夹
📁 folder 文件夹
📦 package box 包裹 快递
✉️ envelope mail 信封 邮件
📧 email 邮件
🔒 lock secure 锁 安全
🔑 key 钥匙
🔨 hammer 锤子
🛠️ tools fix 工具 修复
⚙️ gear settings 齿轮 设置
🧪 test tube experiment 试验 测试
🔬 microscope 显微镜
🐛 bug 虫子 缺陷
💰 money bag 钱
💳 credit card 信用卡
⏰ alarm clock 闹钟
⏳ hourglass waiting 沙漏 等待
🛒 shopping cart 购物车
🎓 graduation 毕业`,
  symbols: `
❤️ red heart love 爱心 红心
🧡 orange heart 橙心
💛 yellow heart 黄心
💚 green heart 绿心
💙 blue heart 蓝心
💜 purple heart 紫心
🖤 black heart 黑心
🤍 white heart 白心
💔 broken heart 心碎
💕 two hearts 爱心
💖 sparkling heart 闪亮爱心
💯 hundred perfect 一百 满分
✅ check done yes 完成 对
☑️ check box 勾选
✔️ check mark 对勾
❌ cross no wrong 错 不
❎ cross mark button 叉
⭕ circle 圆圈
❗ exclamation 感叹号
❓ question 问号
‼️ double exclamation 重要
⚠️ warning caution 警告 注意
🚫 prohibited no 禁止
⛔ no entry 禁止通行
🆗 ok button 好
🆕 new 新
🆒 cool 酷
🔝 top 置顶
🔴 red circle 红
🟢 green circle 绿
🔵 blue circle 蓝
➕ plus add 加
➖ minus 减
➡️ right arrow 右箭头
⬅️ left arrow 左箭头
⬆️ up arrow 上箭头
⬇️ down arrow 下箭头
🔄 repeat refresh 刷新 循环
💬 speech bubble chat 聊天 对话
💭 thought bubble 想法
🔔 bell notification 铃 通知
🔕 mute bell 静音
✨ sparkles 闪闪 亮晶晶
💤 zzz sleep 睡觉
🆘 sos help 求救`,
};

/** Category ids in the order the picker shows them; their names are i18n keys `emoji.cat.<id>`. */
export const CATEGORIES = [
  { id: 'smileys', icon: '😀' },
  { id: 'people', icon: '👋' },
  { id: 'nature', icon: '🐼' },
  { id: 'food', icon: '🍜' },
  { id: 'activity', icon: '🎉' },
  { id: 'travel', icon: '🚀' },
  { id: 'objects', icon: '💡' },
  { id: 'symbols', icon: '❤️' },
];

/** Every emoji: `{char, category, words}` where `words` is lower-case search text. */
export const EMOJI = CATEGORIES.flatMap(({ id }) =>
  raw[id]
    .trim()
    .split('\n')
    .map((line) => {
      const [char, ...words] = line.trim().split(/\s+/);
      return { char, category: id, words: words.join(' ').toLowerCase() };
    }),
);

/** The emoji of one category. */
export function emojiIn(category) {
  return EMOJI.filter((e) => e.category === category);
}

/**
 * Emoji whose search words contain every term of `query` (English or Chinese, any case), best
 * matches (a word starting with the first term) first.
 */
export function searchEmoji(query) {
  const terms = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return [];
  const matches = EMOJI.filter((e) => terms.every((term) => e.words.includes(term) || e.char === term));
  const starts = (e) => e.words.split(' ').some((w) => w.startsWith(terms[0]));
  return [...matches.filter(starts), ...matches.filter((e) => !starts(e))];
}

/** Whether `text` consists only of emoji (and spaces), at most `max` of them — drawn large. */
export function isEmojiOnly(text, max = 6) {
  const trimmed = text.trim();
  if (!trimmed || trimmed.length > max * 8) return false;
  const graphemes = typeof Intl.Segmenter === 'function'
    ? [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(trimmed)].map((s) => s.segment).filter((s) => s.trim())
    : [...trimmed].filter((s) => s.trim());
  return graphemes.length <= max && graphemes.every((g) => /\p{Extended_Pictographic}/u.test(g));
}
