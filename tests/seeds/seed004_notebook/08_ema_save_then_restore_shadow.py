# 需要restart kernel单独跑此段代码
import tensorflow as tf

v = tf.Variable(0, dtype=tf.float32, name='v')

for variables in tf.all_variables():
    print(variables.name)
print('----------------------')
    
ema = tf.train.ExponentialMovingAverage(0.99)
maintain_average_op = ema.apply(tf.all_variables())
# 在生成滑动平均模型之后，Tensorflow会自动生成一个影子变量
for variables in tf.all_variables():
    print(variables.name)
print('----------------------')

saver = tf.train.Saver()

with tf.Session() as sess:
    init_op = tf.initialize_all_variables()
    sess.run(init_op)
    
    sess.run(tf.assign(v, 10))
    sess.run(maintain_average_op)
    # 保存时会将v:0和v/ExponentialMovingAverage:0两个变量都存下来
    saver.save(sess, 'model/model.ckpt')
    print(sess.run([v, ema.average(v)]))

v = tf.Variable(0, dtype=tf.float32, name='v')
# 通过变量重命名将原来变量v的滑动平均值直接赋给v
saver = tf.train.Saver({'v/ExponentialMovingAverage':v})
with tf.Session() as sess:
    saver.restore(sess, 'model/model.ckpt')
    print(sess.run(v))
